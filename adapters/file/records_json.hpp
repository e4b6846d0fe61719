#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "engine/mapping/record.hpp"

namespace hisbridge::file {

// The records one message mapped to, as the JSON document the `file` destination writes:
//   {"message_id": 42, "control_id": "LIS0001",
//    "records": [{"table": "his_result", "values": {"order_no": "O1", "value": "5.0",
//                                                   "unit": null, ...}}, ...]}
// Records and columns keep the mapping's order. Every value that is not null is a JSON string
// holding exactly its text, integers and numbers included: a lab value such as "5.0" or "007"
// is never reformatted by a JSON number's rules. UTF-8 is written as it is (not \u-escaped);
// bytes that are not UTF-8 become U+FFFD. Indented two spaces, ending in a newline. Pure.
std::string records_json(std::int64_t message_id, std::string_view control_id,
                         std::span<const mapping::Record> records);

}  // namespace hisbridge::file
