#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/admin/query.hpp"
#include "engine/core/result.hpp"
#include "engine/mapping/time_zone.hpp"
#include "engine/store/store.hpp"

namespace hisbridge::admin {

inline constexpr std::size_t kDefaultMessageLimit = 50;
inline constexpr std::size_t kMaxMessageLimit = 500;

// The search of `GET /api/v1/messages` from its query parameters:
//   from, to      ISO 8601 (iso_time.hpp): received at or after `from`, before `to`
//   type          "ORU^R01", or "ORU" for every trigger
//   control_id, patient_id, source
//   status        received | processed | error | rejected | duplicate
//   limit         1 to 500, default 50
//   before_id     paging: messages with a smaller id (the previous page's next_before_id)
// The error names the parameter and says what is wrong with it; an unknown parameter is an
// error too, so that a typo does not silently widen a search.
Result<store::MessageQuery, std::string> parse_message_query(const QueryParams& params,
                                                             const mapping::TimeZone& zone);

// A stored message's journal fields, without its raw text:
//   {"id", "received_at", "updated_at", "source", "peer", "control_id", "sending_application",
//    "sending_facility", "type", "patient_id", "status", "error", "duplicate_of"}
nlohmann::ordered_json message_summary(const store::StoredMessage& m,
                                       const mapping::TimeZone& zone);

// {"messages": [summary...], "count": n, "next_before_id": id of the last one when the page
// is full (there may be more), else null}
nlohmann::ordered_json message_list(const std::vector<store::StoredMessage>& found,
                                    std::size_t limit, const mapping::TimeZone& zone);

// The summary plus "raw": the message exactly as received when it is UTF-8; otherwise "raw"
// shows the bytes that are not as U+FFFD and "raw_base64" holds them all.
nlohmann::ordered_json message_detail(const store::StoredMessage& m, const mapping::TimeZone& zone);

// A message's destination queue entries, oldest first: [{"id", "queue", "state" (pending |
// delivered | dead), "attempts", "next_attempt_at" (null when due at once), "last_error",
// "created_at", "updated_at"}].
nlohmann::ordered_json queue_entries(const std::vector<store::QueuedDelivery>& entries,
                                     const mapping::TimeZone& zone);

}  // namespace hisbridge::admin
