#include "adapters/file/records_json.hpp"

#include <nlohmann/json.hpp>

namespace hisbridge::file {
namespace {

// ordered_json: keys stay in the order written, so columns read as the mapping lists them.
using Json = nlohmann::ordered_json;

Json record_json(const mapping::Record& record) {
  Json values = Json::object();
  const auto& columns = record.shape->columns;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const mapping::Value* value = i < record.values.size() ? &record.values[i] : nullptr;
    values[columns[i]] = value == nullptr || value->is_null() ? Json(nullptr) : Json(value->text);
  }
  Json out = Json::object();
  out["table"] = record.table();
  out["values"] = std::move(values);
  return out;
}

}  // namespace

std::string records_json(std::int64_t message_id, std::string_view control_id,
                         std::span<const mapping::Record> records) {
  Json document = Json::object();
  document["message_id"] = message_id;
  document["control_id"] = std::string(control_id);
  Json& list = document["records"] = Json::array();
  for (const mapping::Record& record : records) {
    list.push_back(record_json(record));
  }
  return document.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace hisbridge::file
