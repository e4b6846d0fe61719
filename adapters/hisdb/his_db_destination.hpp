#pragma once

#include <memory>
#include <string>

#include "adapters/hisdb/his_writer.hpp"
#include "engine/router/channel.hpp"
#include "engine/router/destination.hpp"

namespace hisbridge::hisdb {

// The `his-db` destination: every record of a message written to the HIS staging database in
// one transaction (HisWriter). A locked database or a lost connection is retried later; a
// record the schema refuses fails the message with the writer's reason.
class HisDbDestination final : public router::Destination {
 public:
  HisDbDestination(std::string name, std::unique_ptr<HisWriter> writer,
                   router::MappingSource mapping)
      : name_(std::move(name)), writer_(std::move(writer)), mapping_(std::move(mapping)) {}

  const std::string& name() const override { return name_; }
  router::Delivery deliver(const router::DeliveryItem& item) override;

 private:
  std::string name_;
  std::unique_ptr<HisWriter> writer_;
  router::MappingSource mapping_;
};

}  // namespace hisbridge::hisdb
