#include "engine/mapping/output_json.hpp"

#include <charconv>

namespace hisbridge::mapping {
namespace {

using nlohmann::ordered_json;

ordered_json value_json(const Value& v) {
  switch (v.type) {
    case Value::Type::null: return nullptr;
    case Value::Type::integer: {
      std::int64_t n = 0;
      const auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), n);
      if (ec == std::errc() && end == v.text.data() + v.text.size()) {
        return n;
      }
      return v.text;
    }
    // A number keeps its digits as text (5.10 is not 5.1 to a lab): JSON numbers would not.
    case Value::Type::number:
    case Value::Type::text: return v.text;
  }
  return v.text;
}

}  // namespace

ordered_json to_json(const Record& record) {
  ordered_json key = ordered_json::object();
  for (const std::size_t k : record.shape->key) {
    key[record.shape->columns[k]] = value_json(record.values[k]);
  }
  ordered_json values = ordered_json::object();
  for (std::size_t i = 0; i < record.values.size(); ++i) {
    values[record.shape->columns[i]] = value_json(record.values[i]);
  }
  return {{"table", record.table()}, {"key", std::move(key)}, {"values", std::move(values)}};
}

ordered_json to_json(const ClinicalEvent& e) {
  return {{"kind", e.kind},           {"time", e.time},
          {"discipline", e.discipline}, {"order_no", e.order_no},
          {"visit_id", e.visit_id},   {"patient_id", e.patient_id},
          {"department", e.department}, {"priority", e.priority},
          {"service_code", e.service_code}, {"modality", e.modality}};
}

ordered_json to_json(const MappingOutput& output) {
  ordered_json records = ordered_json::array();
  for (const Record& r : output.records) {
    records.push_back(to_json(r));
  }
  ordered_json events = ordered_json::array();
  for (const ClinicalEvent& e : output.events) {
    events.push_back(to_json(e));
  }
  ordered_json result = {{"records", std::move(records)}, {"events", std::move(events)}};
  if (!output.warnings.empty()) {
    result["warnings"] = output.warnings;
  }
  return result;
}

}  // namespace hisbridge::mapping
