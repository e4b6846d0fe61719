#pragma once

#include <nlohmann/json.hpp>

#include "engine/mapping/record.hpp"

namespace hisbridge::mapping {

// A mapping's output as JSON that diffs well: records in the order the mapping made them,
// each column in the mapping file's order (null for "not known"), integers and numbers as JSON
// numbers only when the text round-trips, and events with every field.
//   {"records": [{"table": "his_result", "key": {...}, "values": {...}}], "events": [...]}
nlohmann::ordered_json to_json(const MappingOutput& output);
nlohmann::ordered_json to_json(const Record& record);
nlohmann::ordered_json to_json(const ClinicalEvent& event);

}  // namespace hisbridge::mapping
