#pragma once

#include <boost/system/error_code.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/result.hpp"
#include "engine/mapping/time_zone.hpp"

namespace hisbridge::mapping {

// Why an HL7 date/time or an ISO 8601 value could not be read or written. `empty` is not a fault of
// the data: the field has no value, and callers turn it into a null Value.
enum class DateTimeError {
  empty = 1,         // nothing, or only spaces: no value
  bad_length,        // a digit run that is not 4, 6, 8, 10, 12 or 14 digits long
  not_a_digit,       // a character other than a digit where the format needs one
  bad_year,          // year 0000
  bad_month,         // month outside 01-12
  bad_day,           // day outside the days of that month (Feb 29 only in leap years)
  bad_hour,          // hour outside 00-23
  bad_minute,        // minute outside 00-59
  bad_second,        // second outside 00-59 (a leap second :60 is refused, see below)
  bad_fraction,      // a `.` not after the seconds, or not followed by 1-9 digits
  bad_offset,        // not +HHMM/-HHMM (HL7) or Z/+hh:mm (ISO), or hours above 23
  trailing_garbage,  // characters after a complete value
  bad_pattern,       // a pattern letter that is none of yyyy MM dd HH mm ss
  missing_part,      // the pattern asks for a month, day, hour or minute the value lacks
};

const boost::system::error_category& date_time_category() noexcept;
boost::system::error_code make_error_code(DateTimeError e) noexcept;

// HL7 DTM/TS/DT `YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ]` (v2.5 §2A.3.22) as ISO 8601, at the
// precision given (stock-mapping.md):
//   20260305081500       -> 2026-03-05T08:15:00+07:00
//   202603050815         -> 2026-03-05T08:15+07:00
//   2026030508           -> 2026-03-05T08:00+07:00     (minutes at least)
//   20260305081500.1234  -> 2026-03-05T08:15:00.1234+07:00  (fraction as written)
//   20260305081500+0000  -> 2026-03-05T08:15:00+00:00       (the value's offset wins)
//   20260305, 202603, 2026 -> 2026-03-05, 2026-03, 2026
// A value without a time stays a date (or month, or year), without offset: midnight would be a time
// nobody recorded. Without an offset in the value, `zone` gives the offset in force at that
// wall-clock time (a skipped or repeated wall time: see TimeZone::offset_for_local). Spaces around
// the value are ignored. An offset of whole minutes prints `+hh:mm` (`-0000` too prints `+00:00`);
// zone offsets with seconds (local mean time before 1906) print `+hh:mm:ss`. A leap second `:60` is
// refused: the clocks of LIS/RIS/HIS systems count POSIX time, which has none, so a 60 is a broken
// value rather than a real instant.
Result<std::string> hl7_datetime_to_iso(std::string_view hl7, const TimeZone& zone);
// The same written over `out` (whose capacity is kept); `out` is left as it was on an error.
boost::system::error_code hl7_datetime_to_iso(std::string_view hl7, const TimeZone& zone,
                                              std::string& out);

// The form senders use nearly always, `YYYYMMDDHHMM[SS]` with or without `+/-ZZZZ`, converted
// as hl7_datetime_to_iso converts it by copying its digits (every new time of a message is
// converted: the general parse and format cost twice as much), written at `out`, which has room
// for kCommonIsoMax bytes; the length written, 0 (nothing written) for any other form or a value
// out of range, which hl7_datetime_to_iso reads and reports.
constexpr std::size_t kCommonIsoMax = 32;
std::size_t common_datetime_to_iso(std::string_view hl7, const TimeZone& zone, char* out);
// The same for hl7_date_to_iso of a plain date, `YYYYMMDD` (a birth date, nearly always):
// `YYYY-MM-DD` written at `out` (room for kCommonIsoMax bytes), its length, or 0.
std::size_t common_date_to_iso(std::string_view hl7, char* out);

// The date part of an HL7 DT or DTM as `YYYY-MM-DD` (PID-7 often carries a time of birth, which is
// validated and dropped; the date is the one written, in the sender's zone). A value coarser than a
// day stays so: `1980` -> `1980`, `198005` -> `1980-05`.
Result<std::string> hl7_date_to_iso(std::string_view hl7);

// Seconds since 1970-01-01T00:00Z of an ISO 8601 date-time with offset as written above
// (`YYYY-MM-DDTHH:MM[:SS[.f]]` then `Z`, `±hh:mm` or `±hh:mm:ss`; the fraction is dropped). nullopt
// for a value without time or offset, or one that does not read.
std::optional<std::int64_t> iso_to_unix_seconds(std::string_view iso);

// The wall-clock digits of an ISO 8601 value as written (no conversion between zones) in a compact
// pattern: `yyyy`, `MM` (month), `dd`, `HH` (00-23), `mm` (minute), `ss`; any other character but a
// letter is copied as is (`yyyy-MM-dd HH:mm`). `ss` of a value written to the minute prints `00`; a
// month, day, hour or minute the value lacks is `missing_part`.
//   iso_to_compact("2026-03-05T08:15+07:00", "yyyyMMddHHmm") -> "202603050815"
Result<std::string> iso_to_compact(std::string_view iso, std::string_view pattern);

}  // namespace hisbridge::mapping

namespace boost::system {
template <>
struct is_error_code_enum<hisbridge::mapping::DateTimeError> : std::true_type {};
}  // namespace boost::system
