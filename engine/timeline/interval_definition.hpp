#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hisbridge::timeline {

// What a clock runs over: one order (order_no), one visit (visit_id), or one stored message
// (its journal id; for delivery_latency).
enum class Scope { order, visit, message };

std::string_view to_string(Scope scope);
std::optional<Scope> scope_from_string(std::string_view text);

// Event kinds the engine itself adds per message, beside the mapping's clinical events:
// `accepted` (the message is durably stored, before the ACK) and `delivered` (every destination
// of a channel that took it has written its records). Message scope only.
inline constexpr std::string_view kAccepted = "accepted";
inline constexpr std::string_view kDelivered = "delivered";

// One named turnaround interval (stock-mapping.md, turnaround section), as configured under
// `turnaround.intervals`: from the earliest `from` event of a subject to the earliest of its
// `to` events. Counted once per subject, when both ends are known; a negative one is
// `invalid`; assigned to the time of its `to` end.
struct IntervalDefinition {
  std::string name;
  Scope scope = Scope::order;
  std::string from;             // an event kind: "ordered"
  std::vector<std::string> to;  // event kinds, the earliest of any: {"final"}
  // Only events of this discipline ("LAB", "RAD") count; empty: both.
  std::string discipline;
  // Targets per priority ("S", "R"); the key "" is the target for any priority not listed
  // (and the only one for an interval with one target, such as patient_wait_to_service).
  std::map<std::string, std::chrono::seconds, std::less<>> targets;

  // The target for a subject of `priority`, if the interval has one.
  std::optional<std::chrono::seconds> target_for(std::string_view priority) const;
  bool ends_with(std::string_view kind) const;
};

// The seven intervals of stock-mapping.md with their default targets.
std::vector<IntervalDefinition> default_intervals();

}  // namespace hisbridge::timeline
