#include "adapters/admin/iso_time.hpp"

#include <cstdio>

namespace hisbridge::admin {
namespace {

// Reads exactly `width` digits at `at`, advancing it; nullopt when they are not all digits.
std::optional<int> digits(std::string_view s, std::size_t& at, std::size_t width) {
  if (at + width > s.size()) {
    return std::nullopt;
  }
  int value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = s[at + i];
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  at += width;
  return value;
}

// `Z`, `±hh`, `±hhmm`, `±hh:mm` (a space standing for `+`), as seconds east of UTC.
std::optional<int> read_offset(std::string_view s, std::size_t at) {
  if (s.substr(at) == "Z" || s.substr(at) == "z") {
    return 0;
  }
  if (at >= s.size() || (s[at] != '+' && s[at] != '-' && s[at] != ' ')) {
    return std::nullopt;
  }
  const int sign = s[at] == '-' ? -1 : 1;
  ++at;
  const auto hours = digits(s, at, 2);
  std::optional<int> minutes = 0;
  if (at < s.size()) {
    at += s[at] == ':' ? 1u : 0u;
    minutes = digits(s, at, 2);
  }
  if (!hours || !minutes || at != s.size() || *hours > 23 || *minutes > 59) {
    return std::nullopt;
  }
  return sign * (*hours * 3600 + *minutes * 60);
}

struct Wall {
  std::int64_t seconds = 0;  // wall-clock seconds since 1970-01-01T00:00 read as UTC
  std::int64_t micros = 0;
};

// The date and, when present, the time of day; `at` ends where an offset may start.
std::optional<Wall> read_wall(std::string_view s, std::size_t& at) {
  const auto year = digits(s, at, 4);
  const bool dash1 = at < s.size() && s[at++] == '-';
  const auto month = digits(s, at, 2);
  const bool dash2 = at < s.size() && s[at++] == '-';
  const auto day = digits(s, at, 2);
  if (!year || !dash1 || !month || !dash2 || !day || *month < 1 || *month > 12 || *day < 1 ||
      static_cast<unsigned>(*day) > mapping::days_in_month(*year, static_cast<unsigned>(*month))) {
    return std::nullopt;
  }
  Wall w;
  w.seconds =
      mapping::days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day)) *
      86400;
  if (at == s.size() || (s[at] != 'T' && s[at] != 't' && s[at] != ' ')) {
    return w;
  }
  ++at;
  const auto hour = digits(s, at, 2);
  const bool colon = at < s.size() && s[at++] == ':';
  const auto minute = digits(s, at, 2);
  std::optional<int> second = 0;
  if (at < s.size() && s[at] == ':') {
    ++at;
    second = digits(s, at, 2);
  }
  if (!hour || !colon || !minute || !second || *hour > 23 || *minute > 59 || *second > 59) {
    return std::nullopt;
  }
  w.seconds += *hour * 3600 + *minute * 60 + *second;
  if (at < s.size() && (s[at] == '.' || s[at] == ',')) {
    ++at;
    std::int64_t scale = 100000;
    const std::size_t first = at;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
      w.micros += (s[at] - '0') * scale;  // digits past microseconds add nothing
      scale /= 10;
      ++at;
    }
    if (at == first) {
      return std::nullopt;
    }
  }
  return w;
}

}  // namespace

std::string format_iso(std::int64_t unix_us, const mapping::TimeZone& zone) {
  const std::int64_t seconds =
      unix_us >= 0 ? unix_us / 1'000'000 : -((-unix_us - 1) / 1'000'000) - 1;
  const auto millis = static_cast<int>((unix_us - seconds * 1'000'000) / 1000);
  const int offset = zone.offset_for_utc(seconds);
  const std::int64_t local = seconds + offset;
  const std::int64_t days = mapping::floor_days(local);
  const mapping::CivilDate date = mapping::civil_from_days(days);
  const auto of_day = static_cast<int>(local - days * 86400);
  const int off = offset < 0 ? -offset : offset;
  char text[64];
  std::snprintf(text, sizeof text, "%04lld-%02u-%02uT%02d:%02d:%02d.%03d%c%02d:%02d",
                static_cast<long long>(date.year), date.month, date.day, of_day / 3600,
                of_day / 60 % 60, of_day % 60, millis, offset < 0 ? '-' : '+', off / 3600,
                off / 60 % 60);
  return text;
}

std::optional<std::int64_t> parse_iso(std::string_view text, const mapping::TimeZone& zone) {
  std::size_t at = 0;
  const auto wall = read_wall(text, at);
  if (!wall) {
    return std::nullopt;
  }
  int offset = 0;
  if (at == text.size()) {
    offset = zone.offset_for_local(wall->seconds);
  } else if (const auto given = read_offset(text, at)) {
    offset = *given;
  } else {
    return std::nullopt;
  }
  return (wall->seconds - offset) * 1'000'000 + wall->micros;
}

}  // namespace hisbridge::admin
