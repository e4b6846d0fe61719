#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/router/channel.hpp"
#include "engine/router/destination.hpp"

namespace hisbridge::file {

// What a `file` destination writes of each message.
enum class FileContent {
  raw,      // `msg-<journal id>.hl7`: the message bytes exactly as received
  records,  // `msg-<journal id>.json`: the records the mapping made (records_json.hpp)
};

// The `file` destination: one file per message in `folder`, named after the message's journal
// id, for another system that picks files up. Each file is written with write_file_durably: a
// reader never sees half a file, and the same message written again (after a retry, or a
// replay) replaces its file with the same bytes. The folder is made when missing (also when
// it is removed while the engine runs).
//
// `records`: the output of the destination's own mapping when it has one, else the channel's;
// a message that maps to no records writes no file, and a mapping that cannot map the message
// fails it (router::deliver_output). `raw` ignores mappings.
//
// A write that fails (disk full, permission denied, the folder's path is a file) is retried,
// with the system's reason; nothing else can fail.
class FileDestination final : public router::Destination {
 public:
  FileDestination(std::string name, std::filesystem::path folder, FileContent content,
                  router::MappingSource mapping = {})
      : name_(std::move(name)),
        folder_(std::move(folder)),
        content_(content),
        mapping_(std::move(mapping)) {}

  const std::string& name() const override { return name_; }
  router::Delivery deliver(const router::DeliveryItem& item) override;

  // The name of message `id`'s file: msg-<id>.hl7 or msg-<id>.json.
  static std::string file_name(std::int64_t id, FileContent content);

 private:
  router::Delivery write(const std::string& name, std::string_view bytes) const;

  std::string name_;
  std::filesystem::path folder_;
  FileContent content_;
  router::MappingSource mapping_;
};

}  // namespace hisbridge::file
