#include "adapters/file/file_destination.hpp"

#include <system_error>

#include "adapters/file/records_json.hpp"
#include "engine/core/durable_file.hpp"
#include "engine/router/destination_records.hpp"

namespace hisbridge::file {

std::string FileDestination::file_name(std::int64_t id, FileContent content) {
  return "msg-" + std::to_string(id) + (content == FileContent::raw ? ".hl7" : ".json");
}

router::Delivery FileDestination::deliver(const router::DeliveryItem& item) {
  const std::int64_t id = item.stored.id;
  if (content_ == FileContent::raw) {
    return write(file_name(id, content_), item.stored.message.raw);
  }
  return router::deliver_output(item, mapping_, [&](const mapping::MappingOutput& output) {
    return write(file_name(id, content_),
                 records_json(id, item.stored.message.control_id, output.records));
  });
}

router::Delivery FileDestination::write(const std::string& name, std::string_view bytes) const {
  // Made again when an operator removed it; a folder that exists costs one stat.
  std::error_code ec;
  std::filesystem::create_directories(folder_, ec);
  if (ec) {
    return router::Delivery::retry("cannot make folder " + folder_.string() + ": " +
                                   ec.message());
  }
  if (auto written = write_file_durably(folder_, name, bytes); !written) {
    return router::Delivery::retry("cannot write " + (folder_ / name).string() + ": " +
                                   written.error().message());
  }
  return router::Delivery::delivered();
}

}  // namespace hisbridge::file
