#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace hisbridge::timeline {

// Microseconds since 1970-01-01T00:00Z of an ISO 8601 date-time with offset, in the forms the
// mapping writes (engine/mapping/hl7_datetime.hpp): `YYYY-MM-DDTHH:MM[:SS[.f+]]` followed by
// `Z`, `±hh:mm` or `±hh:mm:ss`, with spaces around it allowed. Fraction digits past the sixth
// are dropped.
// nullopt for anything else, including a date without a time (`2026-03-05`, what the mapping
// writes for an HL7 value without hours): it names no instant, and a turnaround measured from
// midnight in an unknown zone would be wrong by hours.
std::optional<std::int64_t> iso_to_unix_us(std::string_view iso);

}  // namespace hisbridge::timeline
