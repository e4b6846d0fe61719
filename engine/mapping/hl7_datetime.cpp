#include "engine/mapping/hl7_datetime.hpp"

#include <algorithm>
#include <cstring>
#include <cstdlib>
#include <iterator>

namespace hisbridge::mapping {
namespace {

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "date_time"; }

  std::string message(int ev) const override {
    switch (static_cast<DateTimeError>(ev)) {
      case DateTimeError::empty:
        return "no value";
      case DateTimeError::bad_length:
        return "date/time digits must be 4, 6, 8, 10, 12 or 14 long";
      case DateTimeError::not_a_digit:
        return "not a digit where the date/time needs one";
      case DateTimeError::bad_year:
        return "year 0000";
      case DateTimeError::bad_month:
        return "month outside 01-12";
      case DateTimeError::bad_day:
        return "day outside the days of the month";
      case DateTimeError::bad_hour:
        return "hour outside 00-23";
      case DateTimeError::bad_minute:
        return "minute outside 00-59";
      case DateTimeError::bad_second:
        return "second outside 00-59";
      case DateTimeError::bad_fraction:
        return "fraction of a second not after seconds or not 1-9 digits";
      case DateTimeError::bad_offset:
        return "UTC offset not +HHMM/-HHMM (HL7) or Z/+hh:mm (ISO)";
      case DateTimeError::trailing_garbage:
        return "characters after the date/time";
      case DateTimeError::bad_pattern:
        return "pattern letter not one of yyyy MM dd HH mm ss";
      case DateTimeError::missing_part:
        return "the value lacks a part the pattern asks for";
    }
    return "unknown date/time error";
  }
};

enum class Precision : std::uint8_t { year, month, day, hour, minute, second };

// A date-time split into its parts, whichever syntax it was read from.
struct Parts {
  Precision precision = Precision::year;
  int year = 0;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::string_view fraction;  // the digits after `.`, as written
  std::optional<int> offset;  // seconds east of UTC, when the value carries one
};

constexpr std::size_t kMaxFractionDigits = 9;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads `n` digits at `pos` into `out`, advancing `pos`; false when they are not all there.
bool take_digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
  if (s.size() - pos < n) {
    return false;
  }
  int value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_digit(s[pos + i])) {
      return false;
    }
    value = value * 10 + (s[pos + i] - '0');
  }
  pos += n;
  out = value;
  return true;
}

bool take(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

// A fraction of a second after its `.`: 1-9 digits.
bool take_fraction(std::string_view s, std::size_t& pos, std::string_view& out) {
  const std::size_t start = pos;
  while (pos < s.size() && is_digit(s[pos])) {
    ++pos;
  }
  out = s.substr(start, pos - start);
  return !out.empty() && out.size() <= kMaxFractionDigits;
}

// The first of a time's parts out of its range (0: none). Inlined into the common form's
// conversion, which has no Parts to pass: only a day past the 28th needs its month's length.
[[gnu::always_inline]] inline int calendar_error(int year, int month, int day, int hour,
                                                 int minute, int second) {
  if (year == 0) {
    return static_cast<int>(DateTimeError::bad_year);
  }
  if (month < 1 || month > 12) {
    return static_cast<int>(DateTimeError::bad_month);
  }
  if (day < 1 ||
      (day > 28 && day > static_cast<int>(days_in_month(year, static_cast<unsigned>(month))))) {
    return static_cast<int>(DateTimeError::bad_day);
  }
  if (hour > 23) {
    return static_cast<int>(DateTimeError::bad_hour);
  }
  if (minute > 59) {
    return static_cast<int>(DateTimeError::bad_minute);
  }
  if (second > 59) {
    return static_cast<int>(DateTimeError::bad_second);
  }
  return 0;
}

boost::system::error_code validate(const Parts& p) {
  const int error = calendar_error(p.year, p.month, p.day, p.hour, p.minute, p.second);
  if (error != 0) {
    return static_cast<DateTimeError>(error);
  }
  return {};
}

// Seconds since 1970-01-01 of a wall time, as if it were UTC.
std::int64_t wall_seconds_of(int year, int month, int day, int hour, int minute, int second) {
  const std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == ' ') {
    s.remove_suffix(1);
  }
  return s;
}

// HL7 `+ZZZZ`/`-ZZZZ` after the sign at `pos`.
bool take_hl7_offset(std::string_view s, std::size_t& pos, std::optional<int>& out) {
  const int sign = s[pos] == '-' ? -1 : 1;
  ++pos;
  int hours = 0;
  int minutes = 0;
  if (!take_digits(s, pos, 2, hours) || !take_digits(s, pos, 2, minutes) || hours > 23 ||
      minutes > 59) {
    return false;
  }
  out = sign * (hours * 3600 + minutes * 60);
  return true;
}

// HL7 v2.5 §2A.3.22 DTM: `YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ]`.
Result<Parts> parse_hl7(std::string_view text) {
  text = trim_spaces(text);
  if (text.empty()) {
    return DateTimeError::empty;
  }
  const auto digits =
      static_cast<std::size_t>(std::find_if_not(text.begin(), text.end(), is_digit) - text.begin());
  if (digits == 0) {
    return DateTimeError::not_a_digit;
  }
  if (digits < 4 || digits > 14 || digits % 2 != 0) {
    return DateTimeError::bad_length;
  }
  Parts p;
  std::size_t pos = 0;
  take_digits(text, pos, 4, p.year);
  for (int* part : {&p.month, &p.day, &p.hour, &p.minute, &p.second}) {
    if (pos == digits) {
      break;
    }
    take_digits(text, pos, 2, *part);
    p.precision = static_cast<Precision>(static_cast<int>(p.precision) + 1);
  }
  if (take(text, pos, '.') &&
      (p.precision != Precision::second || !take_fraction(text, pos, p.fraction))) {
    return DateTimeError::bad_fraction;
  }
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-') &&
      !take_hl7_offset(text, pos, p.offset)) {
    return DateTimeError::bad_offset;
  }
  if (pos != text.size()) {
    return DateTimeError::trailing_garbage;
  }
  if (auto ec = validate(p)) {
    return ec;
  }
  return p;
}

// ISO `Z`, `±hh:mm` or `±hh:mm:ss` at `pos`.
bool take_iso_offset(std::string_view s, std::size_t& pos, std::optional<int>& out) {
  if (take(s, pos, 'Z')) {
    out = 0;
    return true;
  }
  const int sign = s[pos] == '-' ? -1 : 1;
  ++pos;
  int hours = 0;
  int minutes = 0;
  int seconds = 0;
  if (!take_digits(s, pos, 2, hours) || !take(s, pos, ':') || !take_digits(s, pos, 2, minutes) ||
      (take(s, pos, ':') && !take_digits(s, pos, 2, seconds)) || hours > 23 || minutes > 59 ||
      seconds > 59) {
    return false;
  }
  out = sign * (hours * 3600 + minutes * 60 + seconds);
  return true;
}

// The time part of an ISO value after its `T`: `HH:MM[:SS[.f]][offset]`.
boost::system::error_code parse_iso_time(std::string_view s, std::size_t& pos, Parts& p) {
  if (!take_digits(s, pos, 2, p.hour) || !take(s, pos, ':') || !take_digits(s, pos, 2, p.minute)) {
    return DateTimeError::not_a_digit;
  }
  p.precision = Precision::minute;
  if (take(s, pos, ':')) {
    if (!take_digits(s, pos, 2, p.second)) {
      return DateTimeError::not_a_digit;
    }
    p.precision = Precision::second;
    if (take(s, pos, '.') && !take_fraction(s, pos, p.fraction)) {
      return DateTimeError::bad_fraction;
    }
  }
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == '+' || s[pos] == '-') &&
      !take_iso_offset(s, pos, p.offset)) {
    return DateTimeError::bad_offset;
  }
  return {};
}

// The ISO 8601 forms hl7_datetime_to_iso writes: `YYYY[-MM[-DD[THH:MM[:SS[.f]][offset]]]]`.
Result<Parts> parse_iso(std::string_view s) {
  s = trim_spaces(s);
  if (s.empty()) {
    return DateTimeError::empty;
  }
  Parts p;
  std::size_t pos = 0;
  if (!take_digits(s, pos, 4, p.year)) {
    return DateTimeError::not_a_digit;
  }
  for (int* part : {&p.month, &p.day}) {
    if (!take(s, pos, '-')) {
      break;
    }
    if (!take_digits(s, pos, 2, *part)) {
      return DateTimeError::not_a_digit;
    }
    p.precision = static_cast<Precision>(static_cast<int>(p.precision) + 1);
  }
  if (p.precision == Precision::day && take(s, pos, 'T')) {
    if (auto ec = parse_iso_time(s, pos, p)) {
      return ec;
    }
  }
  if (pos != s.size()) {
    return DateTimeError::trailing_garbage;
  }
  if (auto ec = validate(p)) {
    return ec;
  }
  return p;
}

std::int64_t wall_seconds(const Parts& p) {
  return wall_seconds_of(p.year, p.month, p.day, p.hour, p.minute, p.second);
}

void append_number(std::string& out, int value, int width) {
  char buf[12];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0 || n < width);
  while (n > 0) {
    out += buf[--n];
  }
}

// The ISO forms are written into a buffer and handed over in one assign: a conversion runs
// for every new time a message carries, and appending digit by digit was most of its cost.
// Parts read from HL7 or ISO text have a 4-digit year and 2-digit others.
char* put_digits(char* at, int value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    at[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return at + width;
}

char* put_offset(char* at, int offset) {
  *at++ = offset < 0 ? '-' : '+';
  const int magnitude = std::abs(offset);
  at = put_digits(at, magnitude / 3600 % 100, 2);
  *at++ = ':';
  at = put_digits(at, magnitude / 60 % 60, 2);
  if (magnitude % 60 != 0) {
    *at++ = ':';
    at = put_digits(at, magnitude % 60, 2);
  }
  return at;
}

// `YYYY[-MM[-DD]]` at the precision of `p` (which is at most a day here).
char* put_date(char* at, const Parts& p) {
  at = put_digits(at, p.year, 4);
  if (p.precision >= Precision::month) {
    *at++ = '-';
    at = put_digits(at, p.month, 2);
  }
  if (p.precision >= Precision::day) {
    *at++ = '-';
    at = put_digits(at, p.day, 2);
  }
  return at;
}

void format_date(const Parts& p, std::string& out) {
  char buffer[16];
  out.assign(buffer, put_date(buffer, p));
}

std::string format_date(const Parts& p) {
  std::string out;
  format_date(p, out);
  return out;
}

// The fraction (at most kMaxFractionDigits) goes in after the seconds.
void format_date_time(const Parts& p, int offset, std::string& out) {
  char buffer[64];
  char* at = put_date(buffer, p);
  *at++ = 'T';
  at = put_digits(at, p.hour, 2);
  *at++ = ':';
  at = put_digits(at, p.minute, 2);
  if (p.precision == Precision::second) {
    *at++ = ':';
    at = put_digits(at, p.second, 2);
    if (!p.fraction.empty()) {
      *at++ = '.';
      at = std::copy(p.fraction.begin(), p.fraction.end(), at);
    }
  }
  out.assign(buffer, put_offset(at, offset));
}

// One token of a compact pattern: the part it prints and the precision that part needs.
struct PatternToken {
  std::string_view text;
  int Parts::*part;
  int width;
  Precision needs;
};

constexpr PatternToken kTokens[] = {
    {"yyyy", &Parts::year, 4, Precision::year},   {"MM", &Parts::month, 2, Precision::month},
    {"dd", &Parts::day, 2, Precision::day},       {"HH", &Parts::hour, 2, Precision::minute},
    {"mm", &Parts::minute, 2, Precision::minute}, {"ss", &Parts::second, 2, Precision::minute},
};

bool is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// Whether the eight bytes at `p` are all ASCII digits, in a few word operations: every time a
// mapping converts starts with twelve or fourteen of them.
bool eight_digits(const char* p) {
  std::uint64_t word = 0;
  std::memcpy(&word, p, sizeof word);
  constexpr std::uint64_t kZeros = 0x3030303030303030ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  // A byte below '0' borrows into its high bit; one above '9' carries into it once 0x46 is added.
  return (((word - kZeros) | (word + 0x4646464646464646ULL)) & kHighs) == 0;
}

// `YYYY-MM-DD` from the digits YYYYMMDD at `digits` (checked), written at `out`; the end.
char* put_digits_as_date(const char* digits, char* out) {
  char* at = std::copy_n(digits, 4, out);
  *at++ = '-';
  at = std::copy_n(digits + 4, 2, at);
  *at++ = '-';
  return std::copy_n(digits + 6, 2, at);
}

}  // namespace

std::size_t common_date_to_iso(std::string_view t, char* out) {
  if (t.size() != 8 || !eight_digits(t.data())) {
    return 0;
  }
  Parts p;
  p.precision = Precision::day;
  p.year = (t[0] - '0') * 1000 + (t[1] - '0') * 100 + (t[2] - '0') * 10 + (t[3] - '0');
  p.month = (t[4] - '0') * 10 + (t[5] - '0');
  p.day = (t[6] - '0') * 10 + (t[7] - '0');
  if (validate(p)) {
    return 0;
  }
  return static_cast<std::size_t>(put_digits_as_date(t.data(), out) - out);
}

std::size_t common_datetime_to_iso(std::string_view t, const TimeZone& zone, char* out) {
  // Twelve or fourteen digits: eight checked a word at once, then one by one, and no digit
  // after them.
  if (t.size() < 12 || !eight_digits(t.data()) || !is_digit(t[8]) || !is_digit(t[9]) ||
      !is_digit(t[10]) || !is_digit(t[11])) {
    return 0;
  }
  std::size_t n = 12;
  if (t.size() >= 14 && is_digit(t[12]) && is_digit(t[13])) {
    n = 14;
  }
  if (t.size() > n && is_digit(t[n])) {
    return 0;  // 13 or more than 14 digits
  }
  const std::string_view rest = t.substr(n);
  if (!rest.empty() && (rest.size() != 5 || (rest[0] != '+' && rest[0] != '-') ||
                        !is_digit(rest[1]) || !is_digit(rest[2]) || !is_digit(rest[3]) ||
                        !is_digit(rest[4]))) {
    return 0;
  }
  const auto two = [&](std::string_view s, std::size_t at) {
    return (s[at] - '0') * 10 + (s[at + 1] - '0');
  };
  // The parts checked as validate() checks them, without a Parts made and passed.
  const int year = two(t, 0) * 100 + two(t, 2);
  const int month = two(t, 4);
  const int day = two(t, 6);
  const int hour = two(t, 8);
  const int minute = two(t, 10);
  const int second = n == 14 ? two(t, 12) : 0;
  if (calendar_error(year, month, day, hour, minute, second) != 0) {
    return 0;
  }
  int offset = 0;
  if (!rest.empty()) {
    const int hours = two(rest, 1);
    const int minutes = two(rest, 3);
    if (hours > 23 || minutes > 59) {
      return 0;
    }
    offset = (rest[0] == '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
  } else {
    offset = zone.offset_for_local(wall_seconds_of(year, month, day, hour, minute, second));
  }
  char* at = put_digits_as_date(t.data(), out);
  *at++ = 'T';
  at = std::copy_n(t.data() + 8, 2, at);
  *at++ = ':';
  at = std::copy_n(t.data() + 10, 2, at);
  if (n == 14) {
    *at++ = ':';
    at = std::copy_n(t.data() + 12, 2, at);
  }
  if (!rest.empty() && offset != 0) {
    // An offset as written (+0700) is its own ISO form but for the colon.
    const char written[] = {rest[0], rest[1], rest[2], ':', rest[3], rest[4]};
    at = std::copy_n(written, sizeof written, at);
  } else {
    at = put_offset(at, offset);  // -0000 is +00:00, as the general form writes it
  }
  return static_cast<std::size_t>(at - out);
}

const boost::system::error_category& date_time_category() noexcept {
  static const Category category;
  return category;
}

boost::system::error_code make_error_code(DateTimeError e) noexcept {
  return {static_cast<int>(e), date_time_category()};
}

Result<std::string> hl7_datetime_to_iso(std::string_view hl7, const TimeZone& zone) {
  std::string out;
  if (auto ec = hl7_datetime_to_iso(hl7, zone, out)) {
    return ec;
  }
  return out;
}

boost::system::error_code hl7_datetime_to_iso(std::string_view hl7, const TimeZone& zone,
                                              std::string& out) {
  char common[kCommonIsoMax];
  if (const std::size_t n = common_datetime_to_iso(hl7, zone, common); n != 0) {
    out.assign(common, n);
    return {};
  }
  auto parts = parse_hl7(hl7);
  if (!parts) {
    return parts.error();
  }
  if (parts->precision <= Precision::day) {
    format_date(*parts, out);
    return {};
  }
  const int offset = parts->offset ? *parts->offset : zone.offset_for_local(wall_seconds(*parts));
  format_date_time(*parts, offset, out);
  return {};
}

Result<std::string> hl7_date_to_iso(std::string_view hl7) {
  auto parts = parse_hl7(hl7);
  if (!parts) {
    return parts.error();
  }
  parts->precision = std::min(parts->precision, Precision::day);
  return format_date(*parts);
}

std::optional<std::int64_t> iso_to_unix_seconds(std::string_view iso) {
  auto parts = parse_iso(iso);
  if (!parts || parts->precision < Precision::minute || !parts->offset) {
    return std::nullopt;
  }
  return wall_seconds(*parts) - *parts->offset;
}

Result<std::string> iso_to_compact(std::string_view iso, std::string_view pattern) {
  auto parts = parse_iso(iso);
  if (!parts) {
    return parts.error();
  }
  std::string out;
  for (std::size_t i = 0; i < pattern.size();) {
    const std::string_view rest = pattern.substr(i);
    const auto* token =
        std::find_if(std::begin(kTokens), std::end(kTokens),
                     [&](const PatternToken& t) { return rest.starts_with(t.text); });
    if (token == std::end(kTokens)) {
      if (is_letter(rest.front())) {
        return DateTimeError::bad_pattern;
      }
      out += rest.front();
      ++i;
      continue;
    }
    if (parts->precision < token->needs) {
      return DateTimeError::missing_part;
    }
    append_number(out, (*parts).*(token->part), token->width);
    i += token->text.size();
  }
  return out;
}

}  // namespace hisbridge::mapping
