#pragma once

#include <memory>
#include <string>

#include "adapters/xml130/xml130_writer.hpp"
#include "engine/router/channel.hpp"
#include "engine/router/destination.hpp"

namespace hisbridge::xml130 {

// The `xml130` destination: the xml130_cls rows its own mapping makes of each message, merged
// into one table-4 file per treatment episode (Xml130Writer). A failed file write (disk full,
// folder gone) is retried; a row the format refuses (a value too long, a required element
// missing) fails the message with the writer's reason.
class Xml130Destination final : public router::Destination {
 public:
  Xml130Destination(std::string name, Xml130Writer writer, router::MappingSource mapping)
      : name_(std::move(name)), writer_(std::move(writer)), mapping_(std::move(mapping)) {}

  const std::string& name() const override { return name_; }
  router::Delivery deliver(const router::DeliveryItem& item) override;

 private:
  std::string name_;
  Xml130Writer writer_;
  router::MappingSource mapping_;
};

}  // namespace hisbridge::xml130
