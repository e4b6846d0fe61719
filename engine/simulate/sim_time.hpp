#pragma once

#include <boost/assert/source_location.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/result.hpp"

namespace hisbridge::simulate {

// Simulated instants are whole seconds since 1970-01-01T00:00:00Z: HL7 DTM and the HIS
// staging columns carry seconds at most, and integers keep a seeded run reproducible.
using SimTime = std::int64_t;

constexpr SimTime kMinute = 60;
constexpr SimTime kHour = 3600;
constexpr SimTime kDay = 86400;

// A hospital's fixed offset from UTC in seconds east (+07:00 is 25200). Vietnam keeps no
// daylight-saving time, so a fixed offset is the whole zone.
struct UtcOffset {
  int seconds = 7 * 3600;

  friend bool operator==(const UtcOffset&, const UtcOffset&) = default;
};

// Why a time, a duration or an offset given on the command line cannot be read.
struct TimeTextError {
  std::string message;
};

// Lets `Result<T, TimeTextError>::value()` throw std::invalid_argument when a caller insists.
[[noreturn]] void throw_exception_from_error(const TimeTextError& e,
                                             const boost::source_location& loc);

// HL7 DTM with the offset, to the second: `20260305081500+0700`.
std::string hl7_time(SimTime t, UtcOffset offset);
// ISO 8601 with the offset: `2026-03-05T08:15:00+07:00`, as the HIS staging columns hold it.
std::string iso_time(SimTime t, UtcOffset offset);
// The local date as `yymmdd`, the form hospital numbers carry (`XN260305-0101`).
std::string yymmdd(SimTime t, UtcOffset offset);

// The start of the local day holding `t`, and the local hour (0-23) of `t`.
SimTime local_midnight(SimTime t, UtcOffset offset);
int local_hour(SimTime t, UtcOffset offset);

// `+07:00`, `+0700`, `+07`, `-05:30`, `Z` or `UTC`.
Result<UtcOffset, TimeTextError> parse_utc_offset(std::string_view text);

// ISO 8601 `YYYY-MM-DDTHH:MM[:SS][offset]` (a space may stand for `T`) or a date alone
// (`YYYY-MM-DD`, local midnight); without an offset the time is read in `local`.
Result<SimTime, TimeTextError> parse_iso_time(std::string_view text, UtcOffset local);

// `90s`, `45m`, `8h`, `2d`, or a sum of them (`1h30m`); a bare `0` is zero. Never negative.
Result<SimTime, TimeTextError> parse_duration(std::string_view text);

}  // namespace hisbridge::simulate
