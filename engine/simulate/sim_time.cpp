#include "engine/simulate/sim_time.hpp"

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <stdexcept>

namespace hisbridge::simulate {
namespace {

struct Civil {
  int year = 1970;
  unsigned month = 1;
  unsigned day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

// Floor division, so that instants before 1970 fall on the right day.
SimTime floor_div(SimTime a, SimTime b) {
  const SimTime q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

Civil civil_of(SimTime t, UtcOffset offset) {
  const SimTime local = t + offset.seconds;
  const SimTime days = floor_div(local, kDay);
  const SimTime in_day = local - days * kDay;
  const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{days}}};
  return {static_cast<int>(date.year()),
          static_cast<unsigned>(date.month()),
          static_cast<unsigned>(date.day()),
          static_cast<int>(in_day / kHour),
          static_cast<int>(in_day % kHour / kMinute),
          static_cast<int>(in_day % kMinute)};
}

std::string offset_text(UtcOffset offset, bool colon) {
  const int magnitude = offset.seconds < 0 ? -offset.seconds : offset.seconds;
  char text[16];
  std::snprintf(text, sizeof text, colon ? "%c%02d:%02d" : "%c%02d%02d",
                offset.seconds < 0 ? '-' : '+', magnitude / 3600, magnitude % 3600 / 60);
  return text;
}

// Reads exactly `width` digits at `pos`; advances `pos`.
std::optional<int> digits(std::string_view text, std::size_t& pos, std::size_t width) {
  if (pos + width > text.size()) {
    return std::nullopt;
  }
  int value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  pos += width;
  return value;
}

bool take(std::string_view text, std::size_t& pos, char expected) {
  if (pos < text.size() && text[pos] == expected) {
    ++pos;
    return true;
  }
  return false;
}

// The time of day after the date: `THH:MM[:SS]`, or nothing at all (midnight).
std::optional<SimTime> time_of_day(std::string_view text, std::size_t& pos) {
  if (pos == text.size() || text[pos] == '+' || text[pos] == '-' || text[pos] == 'Z') {
    return SimTime{0};
  }
  if (!take(text, pos, 'T') && !take(text, pos, ' ')) {
    return std::nullopt;
  }
  const auto hour = digits(text, pos, 2);
  if (!hour || !take(text, pos, ':')) {
    return std::nullopt;
  }
  const auto minute = digits(text, pos, 2);
  std::optional<int> second = 0;
  if (take(text, pos, ':')) {
    second = digits(text, pos, 2);
  }
  if (!minute || !second || *hour > 23 || *minute > 59 || *second > 59) {
    return std::nullopt;
  }
  return SimTime{*hour} * kHour + SimTime{*minute} * kMinute + *second;
}

}  // namespace

void throw_exception_from_error(const TimeTextError& e, const boost::source_location&) {
  throw std::invalid_argument(e.message);
}

std::string hl7_time(SimTime t, UtcOffset offset) {
  const Civil c = civil_of(t, offset);
  char text[24];
  std::snprintf(text, sizeof text, "%04d%02u%02u%02d%02d%02d", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return text + offset_text(offset, false);
}

std::string iso_time(SimTime t, UtcOffset offset) {
  const Civil c = civil_of(t, offset);
  char text[24];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return text + offset_text(offset, true);
}

std::string yymmdd(SimTime t, UtcOffset offset) {
  const Civil c = civil_of(t, offset);
  char text[12];
  std::snprintf(text, sizeof text, "%02d%02u%02u", c.year % 100, c.month, c.day);
  return text;
}

SimTime local_midnight(SimTime t, UtcOffset offset) {
  const SimTime local = t + offset.seconds;
  return floor_div(local, kDay) * kDay - offset.seconds;
}

int local_hour(SimTime t, UtcOffset offset) { return civil_of(t, offset).hour; }

Result<UtcOffset, TimeTextError> parse_utc_offset(std::string_view text) {
  if (text == "Z" || text == "UTC") {
    return UtcOffset{0};
  }
  std::size_t pos = 0;
  const bool negative = take(text, pos, '-');
  if (!negative && !take(text, pos, '+')) {
    return TimeTextError{"the offset '" + std::string(text) + "' must start with + or -"};
  }
  const auto hours = digits(text, pos, 2);
  std::optional<int> minutes = 0;
  if (pos < text.size()) {
    take(text, pos, ':');
    minutes = digits(text, pos, 2);
  }
  if (!hours || !minutes || pos != text.size() || *hours > 14 || *minutes > 59) {
    return TimeTextError{"the offset '" + std::string(text) +
                         "' is not +HH:MM (e.g. +07:00) within 14 hours"};
  }
  const int seconds = *hours * 3600 + *minutes * 60;
  return UtcOffset{negative ? -seconds : seconds};
}

Result<SimTime, TimeTextError> parse_iso_time(std::string_view text, UtcOffset local) {
  const TimeTextError bad{"the time '" + std::string(text) +
                          "' is not ISO 8601 (e.g. 2026-03-05T07:00:00+07:00)"};
  std::size_t pos = 0;
  const auto year = digits(text, pos, 4);
  const bool dash1 = take(text, pos, '-');
  const auto month = digits(text, pos, 2);
  const bool dash2 = take(text, pos, '-');
  const auto day = digits(text, pos, 2);
  if (!year || !dash1 || !month || !dash2 || !day) {
    return bad;
  }
  const std::chrono::year_month_day date{std::chrono::year{*year},
                                         std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  const auto clock = time_of_day(text, pos);
  if (!date.ok() || !clock) {
    return bad;
  }
  UtcOffset offset = local;
  if (pos < text.size()) {
    auto parsed = parse_utc_offset(text.substr(pos));
    if (!parsed) {
      return bad;
    }
    offset = *parsed;
  }
  const SimTime days = std::chrono::sys_days{date}.time_since_epoch().count();
  return days * kDay + *clock - offset.seconds;
}

Result<SimTime, TimeTextError> parse_duration(std::string_view text) {
  const TimeTextError bad{"the duration '" + std::string(text) +
                          "' is not a number with a unit: s, m, h or d (e.g. 8h, 90m, 1h30m)"};
  if (text == "0") {
    return SimTime{0};
  }
  SimTime total = 0;
  std::size_t pos = 0;
  if (text.empty()) {
    return bad;
  }
  while (pos < text.size()) {
    SimTime number = 0;
    const auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), number);
    if (ec != std::errc{} || end == text.data() + text.size() || number < 0 ||
        number > 3650 * kDay) {
      return bad;
    }
    pos = static_cast<std::size_t>(end - text.data());
    switch (text[pos++]) {
      case 's':
        total += number;
        break;
      case 'm':
        total += number * kMinute;
        break;
      case 'h':
        total += number * kHour;
        break;
      case 'd':
        total += number * kDay;
        break;
      default:
        return bad;
    }
  }
  return total;
}

}  // namespace hisbridge::simulate
