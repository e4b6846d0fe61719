#pragma once

#include <boost/system/error_code.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.hpp"

namespace hisbridge::mapping {

// Why a time zone could not be loaded. The zone comes from the engine config, so these end up in a
// config error naming the setting.
enum class TimeZoneError {
  bad_name = 1,  // empty, absolute, a `.` or `..` part, or characters zone names lack
  bad_offset,    // starts with + or - but is not ±HH, ±HHMM or ±HH:MM up to ±23:59
  not_found,     // no regular file of that name under the zoneinfo directory
  read_failed,   // the file exists but could not be read
  bad_tzif,      // not TZif, or counts and indexes that do not hold together
};

const boost::system::error_category& time_zone_category() noexcept;
boost::system::error_code make_error_code(TimeZoneError e) noexcept;

// Proleptic Gregorian calendar arithmetic after H. Hinnant's `days_from_civil`: pure integer
// functions, so converting times never touches the C library's locale, TZ or localtime (which share
// global state between threads).
constexpr bool is_leap_year(std::int64_t year) noexcept {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

constexpr unsigned days_in_month(std::int64_t year, unsigned month) noexcept {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[(month - 1) % 12];
}

// Days since 1970-01-01 of a civil date (month 1-12, day 1-31).
constexpr std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) noexcept {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto yoe = static_cast<std::int64_t>(year - era * 400);                      // [0, 399]
  const std::int64_t mp = month > 2 ? month - 3 : month + 9;                         // March = 0
  const std::int64_t doy = (153 * mp + 2) / 5 + static_cast<std::int64_t>(day) - 1;  // [0, 365]
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                    // [0, 146096]
  return era * 146097 + doe - 719468;
}

struct CivilDate {
  std::int64_t year = 1970;
  unsigned month = 1;
  unsigned day = 1;
};

// The civil date of a day count since 1970-01-01 (the inverse of days_from_civil).
constexpr CivilDate civil_from_days(std::int64_t days) noexcept {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;                                    // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const std::int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const auto day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

// Floor division by 86400: the day of a second count, also for times before 1970.
constexpr std::int64_t floor_days(std::int64_t seconds) noexcept {
  return seconds >= 0 ? seconds / 86400 : -((-(seconds + 1)) / 86400) - 1;
}

namespace detail {

// One end of a POSIX TZ daylight-saving rule: a day of the year and a local time on it.
struct RuleDate {
  enum class Kind : std::uint8_t { julian_no_leap, zero_based, month_week_day };
  Kind kind = Kind::zero_based;
  int day = 0;  // Jn: 1-365, Feb 29 never counted; n: 0-365; Mm.w.d: weekday, 0 = Sunday
  int month = 0;
  int week = 0;                  // 1-5, 5 = the last one of the month
  std::int64_t time = 2 * 3600;  // seconds after local midnight, may be negative or > 24 h
};

// The POSIX TZ string of a TZif footer: the zone's offsets after its last listed transition.
struct PosixRule {
  int std_offset = 0;  // seconds east of UTC (the POSIX text counts west)
  int dst_offset = 0;
  bool has_dst = false;
  RuleDate start;  // given in standard time
  RuleDate end;    // given in daylight time
};

}  // namespace detail

// A time zone: the UTC offset in force at any instant, read from the system tz database. Immutable
// once loaded, so one instance may be shared by every mapping thread.
//
// What is supported:
// - TZif files of version 1, 2, 3 and 4 (RFC 8536); the 64-bit data of version 2+ is used when
//   present. Leap-second records (the `right/` zones) are skipped, so such zones read as their
//   POSIX counterparts would.
// - After the last transition of the file, the POSIX TZ string of the footer: `std offset` (fixed
//   zones such as `<+07>-7` for Asia/Ho_Chi_Minh) and `std offset dst [offset],start
//   [/time],end[/time]` with the `Jn`, `n` and `Mm.w.d` date forms and v3 extended times. A footer
//   that does not follow that grammar is ignored: the last transition's offset then stays in force.
//   Rule transitions are computed within the calendar year of the time asked about, which holds for
//   every rule in the tz database.
// - Fixed offsets `UTC`, `Z`, `±HH`, `±HHMM` and `±HH:MM` (no file needed).
class TimeZone {
 public:
  // Loads `name` from the zoneinfo directory: $TZDIR when set (as the C library does), otherwise
  // the system's. Fixed offsets are recognised first.
  static Result<TimeZone> load(std::string_view name);
  static Result<TimeZone> load(std::string_view name, const std::filesystem::path& zoneinfo_dir);
  // Reads TZif bytes already in memory.
  static Result<TimeZone> parse_tzif(std::string_view bytes, std::string name);
  static TimeZone utc();
  // A zone that is always `offset_seconds` east of UTC.
  static TimeZone fixed(int offset_seconds, std::string name);

  // The offset (seconds east of UTC) in force at `utc_seconds` (seconds since 1970, UTC).
  int offset_for_utc(std::int64_t utc_seconds) const noexcept;

  // The offset that applies to a wall-clock time read in this zone (`local_seconds` counts the wall
  // clock's seconds since 1970-01-01T00:00 as if it were UTC). A wall time skipped by a transition
  // (spring forward) or repeated by one (fall back) gets the offset in force BEFORE that
  // transition: 02:30 on a German spring-forward night reads as +01:00, and the repeated 02:30 in
  // autumn reads as +02:00, its first occurrence.
  int offset_for_local(std::int64_t local_seconds) const noexcept;

  // The name given to load (`Asia/Ho_Chi_Minh`, `+07:00`).
  const std::string& name() const noexcept { return name_; }

 private:
  void add_transition(std::int64_t utc, int offset_after);

  std::string name_;
  std::vector<std::int64_t> transitions_;        // UTC seconds, ascending, each changes the offset
  std::vector<std::int64_t> local_transitions_;  // the wall-clock second each one takes effect
  std::vector<int> offsets_after_;               // offset in force from transitions_[i] on
  int initial_offset_ = 0;                       // before the first transition (TZif type 0)
  std::optional<detail::PosixRule> rule_;        // after the last transition
};

}  // namespace hisbridge::mapping

namespace boost::system {
template <>
struct is_error_code_enum<hisbridge::mapping::TimeZoneError> : std::true_type {};
}  // namespace boost::system
