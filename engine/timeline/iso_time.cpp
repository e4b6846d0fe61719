#include "engine/timeline/iso_time.hpp"

namespace hisbridge::timeline {
namespace {

constexpr std::int64_t kMicros = 1'000'000;

// Reads `width` digits at `at` into `out`; false when any is not a digit or the text ends.
bool digits(std::string_view s, std::size_t at, std::size_t width, int& out) {
  if (at + width > s.size()) {
    return false;
  }
  out = 0;
  for (std::size_t i = at; i < at + width; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's
// days_from_civil).
std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

// `.f+` at `at`: the fraction as microseconds, `at` moved past it.
bool fraction(std::string_view s, std::size_t& at, std::int64_t& micros) {
  micros = 0;
  if (at >= s.size() || s[at] != '.') {
    return true;
  }
  ++at;
  std::size_t n = 0;
  std::int64_t scale = 100'000;
  while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
    if (n < 6) {
      micros += (s[at] - '0') * scale;
      scale /= 10;
    }
    ++at;
    ++n;
  }
  return n > 0;
}

// `Z`, `±hh:mm` or `±hh:mm:ss` making up the rest of the text, in seconds east of UTC.
bool offset(std::string_view rest, std::int64_t& seconds) {
  if (rest == "Z") {
    seconds = 0;
    return true;
  }
  if (rest.size() != 6 && rest.size() != 9) {
    return false;
  }
  if ((rest[0] != '+' && rest[0] != '-') || rest[3] != ':') {
    return false;
  }
  int hh = 0;
  int mm = 0;
  int ss = 0;
  if (!digits(rest, 1, 2, hh) || !digits(rest, 4, 2, mm) || hh > 23 || mm > 59) {
    return false;
  }
  if (rest.size() == 9 && (rest[6] != ':' || !digits(rest, 7, 2, ss) || ss > 59)) {
    return false;
  }
  seconds = (rest[0] == '-' ? -1 : 1) * (hh * 3600LL + mm * 60LL + ss);
  return true;
}

}  // namespace

std::optional<std::int64_t> iso_to_unix_us(std::string_view s) {
  // Spaces around the value are read as the mapping's own ISO reader reads them (a site's
  // mapping may copy a time it did not convert).
  const std::size_t first = s.find_first_not_of(' ');
  s = first == std::string_view::npos ? std::string_view()
                                      : s.substr(first, s.find_last_not_of(' ') - first + 1);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, 0, 4, y) || s.size() < 16 || s[4] != '-' || !digits(s, 5, 2, mo) ||
      s[7] != '-' || !digits(s, 8, 2, d) || s[10] != 'T' || !digits(s, 11, 2, h) ||
      s[13] != ':' || !digits(s, 14, 2, mi)) {
    return std::nullopt;
  }
  if (y == 0 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59) {
    return std::nullopt;
  }
  std::size_t at = 16;
  std::int64_t micros = 0;
  if (at < s.size() && s[at] == ':') {
    if (!digits(s, at + 1, 2, sec) || sec > 59) {
      return std::nullopt;
    }
    at += 3;
    if (!fraction(s, at, micros)) {
      return std::nullopt;
    }
  }
  std::int64_t east = 0;
  if (!offset(s.substr(at), east)) {
    return std::nullopt;
  }
  const std::int64_t wall = days_from_civil(y, mo, d) * 86400 + h * 3600LL + mi * 60LL + sec;
  return (wall - east) * kMicros + micros;
}

}  // namespace hisbridge::timeline
