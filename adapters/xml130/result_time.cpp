#include "adapters/xml130/result_time.hpp"

#include <chrono>
#include <cstdio>

namespace hisbridge::xml130 {
namespace {

namespace chr = std::chrono;

// A cursor over the value; every read either consumes what it expects or leaves `ok` false.
struct Reader {
  std::string_view s;
  bool compact = false;  // yyyymmddHHMM: no separators, no seconds, no offset
  std::size_t pos = 0;
  bool ok = true;

  bool at_end() const { return pos == s.size(); }
  char peek() const { return at_end() ? '\0' : s[pos]; }

  int digits(std::size_t n) {
    int value = 0;
    for (std::size_t i = 0; i < n; ++i, ++pos) {
      if (pos >= s.size() || s[pos] < '0' || s[pos] > '9') {
        ok = false;
        return 0;
      }
      value = value * 10 + (s[pos] - '0');
    }
    return value;
  }
  bool take(char c) {
    if (peek() == c) {
      ++pos;
      return true;
    }
    return false;
  }
  void expect(char c) { ok = ok && take(c); }
  void separator(char c) {
    if (!compact) {
      expect(c);
    }
  }
};

struct WallClock {
  chr::year_month_day date;
  int hour = 0;
  int minute = 0;
};

// The offset after the time, in minutes east of UTC; nullopt when the value has none.
std::optional<int> read_offset(Reader& r) {
  if (r.take('Z')) {
    return 0;
  }
  const char sign = r.peek();
  if (sign != '+' && sign != '-') {
    return std::nullopt;
  }
  ++r.pos;
  const int hours = r.digits(2);
  int minutes = 0;
  if (!r.at_end()) {
    r.take(':');
    minutes = r.digits(2);
  }
  r.ok = r.ok && hours <= 14 && minutes <= 59;
  const int total = hours * 60 + minutes;
  return sign == '-' ? -total : total;
}

// Seconds and their fraction: checked, then dropped.
void skip_seconds(Reader& r) {
  if (!r.take(':')) {
    return;
  }
  r.ok = r.ok && r.digits(2) <= 60;
  if (r.take('.') || r.take(',')) {
    r.digits(1);
    while (r.peek() >= '0' && r.peek() <= '9') {
      ++r.pos;
    }
  }
}

std::string format(const WallClock& w) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%04d%02u%02u%02d%02d", static_cast<int>(w.date.year()),
                static_cast<unsigned>(w.date.month()), static_cast<unsigned>(w.date.day()), w.hour,
                w.minute);
  return buffer;
}

WallClock shift(const WallClock& w, int from_offset, int to_offset) {
  const auto local = chr::sys_days(w.date) + chr::hours(w.hour) + chr::minutes(w.minute);
  const auto moved = local + chr::minutes(to_offset - from_offset);
  const auto day = chr::floor<chr::days>(moved);
  const auto in_day = chr::duration_cast<chr::minutes>(moved - day).count();
  return {chr::year_month_day(day), static_cast<int>(in_day / 60), static_cast<int>(in_day % 60)};
}

Xml130Failure bad_time(std::string_view iso, const char* why) {
  return fail(Xml130Error::invalid_record,
              "NGAY_KQ \"" + std::string(iso) + "\" " + why +
                  " (expected ISO 8601 with minutes, e.g. 2026-03-05T08:15+07:00)");
}

}  // namespace

Xml130Result<std::string> to_ngay_kq(std::string_view iso, std::optional<int> offset_minutes) {
  Reader r{iso, iso.size() == 12 && iso.find_first_not_of("0123456789") == iso.npos};
  const int year = r.digits(4);
  r.separator('-');
  const int month = r.digits(2);
  r.separator('-');
  const int day = r.digits(2);
  if (!r.compact && !r.take('T') && !r.take(' ')) {
    return bad_time(iso, "has no time of day");
  }
  WallClock w;
  w.hour = r.digits(2);
  r.separator(':');
  w.minute = r.digits(2);
  std::optional<int> offset;
  if (!r.compact) {
    skip_seconds(r);
    offset = read_offset(r);
  }
  w.date = chr::year_month_day(chr::year(year), chr::month(static_cast<unsigned>(month)),
                               chr::day(static_cast<unsigned>(day)));
  if (!r.ok || !r.at_end() || !w.date.ok() || w.hour > 23 || w.minute > 59) {
    return bad_time(iso, "is not a valid date and time");
  }
  if (offset && offset_minutes) {
    w = shift(w, *offset, *offset_minutes);
    if (!w.date.ok() || w.date.year() < chr::year(0) || w.date.year() > chr::year(9999)) {
      return bad_time(iso, "leaves the years 0000-9999 in the target offset");
    }
  }
  return format(w);
}

}  // namespace hisbridge::xml130
