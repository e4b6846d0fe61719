#pragma once

// From what the mapping and the engine know of a message to the marks a TimelineStore records.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/mapping/record.hpp"
#include "engine/timeline/timeline_store.hpp"

namespace hisbridge::timeline {

// Appends the marks of `events` to `out`: an event with an order number marks that order, one
// with a visit id marks that visit as well (an event with both makes two marks), each with
// the event's fields as its subject info. An event whose time does not read as an instant
// (empty, a date without a time, not ISO 8601 with offset: iso_time.hpp) or that names neither
// an order nor a visit (or has no kind) marks nothing and is counted in `skipped`.
void append_marks(std::span<const mapping::ClinicalEvent> events, std::vector<Mark>& out,
                  std::size_t& skipped);

// The mark the engine adds for stored message `message_id` (kind kAccepted or kDelivered).
Mark message_mark(std::int64_t message_id, std::string_view kind, std::int64_t at_us);

}  // namespace hisbridge::timeline
