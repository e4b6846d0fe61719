#include "engine/mapping/time_zone.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <system_error>

namespace hisbridge::mapping {
namespace {

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "time_zone"; }

  std::string message(int ev) const override {
    switch (static_cast<TimeZoneError>(ev)) {
      case TimeZoneError::bad_name:
        return "not a time zone name";
      case TimeZoneError::bad_offset:
        return "not a UTC offset (+HH:MM, +HHMM or +HH)";
      case TimeZoneError::not_found:
        return "time zone not found in the tz database";
      case TimeZoneError::read_failed:
        return "time zone file could not be read";
      case TimeZoneError::bad_tzif:
        return "time zone file is not valid TZif";
    }
    return "unknown time zone error";
  }
};

// Times far beyond any calendar people use are clamped before calendar arithmetic, so that no input
// (2^63 included) can overflow it. 2^40 seconds is about 34,800 years.
constexpr std::int64_t kCalendarLimit = std::int64_t{1} << 40;
// Where the tz database is installed on POSIX systems (the C library's TZDIR default).
constexpr const char* kSystemZoneinfo = "/usr/share/zoneinfo";
// RFC 8536 §3.2: a ttinfo's UT offset lies in [-89999, 93599] (about ±25 hours).
constexpr std::int32_t kMinUtOffset = -89999;
constexpr std::int32_t kMaxUtOffset = 93599;

std::int64_t clamp_calendar(std::int64_t seconds) noexcept {
  return std::clamp(seconds, -kCalendarLimit, kCalendarLimit);
}

// Zone names are relative paths of letters, digits and `/_+-.`, never leaving the directory.
bool is_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '/') {
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '_' || c == '+' || c == '-' || c == '.';
    if (!ok) {
      return false;
    }
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find('/', start), name.size());
    const std::string_view part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return false;
    }
    start = end + 1;
  }
  return true;
}

int two_digits(std::string_view s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// `±HH`, `±HHMM`, `±HH:MM` in seconds east of UTC; nullopt when malformed.
std::optional<int> parse_fixed_offset(std::string_view text) {
  const int sign = text.front() == '-' ? -1 : 1;
  std::string rest(text.substr(1));
  if (rest.size() == 5 && rest[2] == ':') {
    rest.erase(2, 1);
  }
  if ((rest.size() != 2 && rest.size() != 4) || !all_digits(rest)) {
    return std::nullopt;
  }
  const int hours = two_digits(rest);
  const int minutes = rest.size() == 4 ? two_digits(std::string_view(rest).substr(2)) : 0;
  if (hours > 23 || minutes > 59) {
    return std::nullopt;
  }
  return sign * (hours * 3600 + minutes * 60);
}

// Big-endian reads over the TZif bytes. Reads do not check bounds: callers ask has() first, once
// for a whole header or data block.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

  bool has(std::size_t n) const { return bytes_.size() - pos_ >= n; }
  void skip(std::size_t n) { pos_ += n; }
  std::string_view rest() const { return bytes_.substr(pos_); }

  std::uint64_t be(std::size_t width) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) {
      v = (v << 8) | static_cast<unsigned char>(bytes_[pos_++]);
    }
    return v;
  }
  std::int64_t be_signed(std::size_t width) {
    const std::uint64_t v = be(width);
    return width == 8 ? static_cast<std::int64_t>(v)
                      : static_cast<std::int64_t>(static_cast<std::int32_t>(v));
  }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

// RFC 8536 §3.1: the counts of a TZif header, in the order they appear.
struct TzifHeader {
  char version = 0;
  std::uint64_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;

  // Bytes of the data block that follows, with `time_size`-byte transition times.
  std::uint64_t data_size(std::uint64_t time_size) const {
    return timecnt * time_size + timecnt + typecnt * 6 + charcnt + leapcnt * (time_size + 4) +
           isstdcnt + isutcnt;
  }
};

std::optional<TzifHeader> read_header(ByteReader& in) {
  if (!in.has(44) || in.rest().substr(0, 4) != "TZif") {
    return std::nullopt;
  }
  TzifHeader h;
  h.version = in.rest()[4];
  in.skip(20);
  for (std::uint64_t* count :
       {&h.isutcnt, &h.isstdcnt, &h.leapcnt, &h.timecnt, &h.typecnt, &h.charcnt}) {
    *count = in.be(4);
  }
  const bool consistent = h.typecnt != 0 && (h.isutcnt == 0 || h.isutcnt == h.typecnt) &&
                          (h.isstdcnt == 0 || h.isstdcnt == h.typecnt);
  if (!consistent) {
    return std::nullopt;
  }
  return h;
}

// The transitions and UT offsets of one data block.
struct TzifData {
  std::vector<std::int64_t> times;
  std::vector<std::uint8_t> type_of;
  std::vector<std::int32_t> offsets;
};

std::optional<TzifData> read_data(ByteReader& in, const TzifHeader& h, std::size_t time_size) {
  if (!in.has(h.data_size(time_size))) {
    return std::nullopt;
  }
  TzifData d;
  for (std::uint64_t i = 0; i < h.timecnt; ++i) {
    d.times.push_back(in.be_signed(time_size));
    if (i > 0 && d.times[i] <= d.times[i - 1]) {
      return std::nullopt;  // RFC 8536: transition times are in strictly ascending order
    }
  }
  for (std::uint64_t i = 0; i < h.timecnt; ++i) {
    d.type_of.push_back(static_cast<std::uint8_t>(in.be(1)));
    if (d.type_of.back() >= h.typecnt) {
      return std::nullopt;
    }
  }
  for (std::uint64_t i = 0; i < h.typecnt; ++i) {
    const auto offset = static_cast<std::int32_t>(in.be_signed(4));
    if (offset < kMinUtOffset || offset > kMaxUtOffset) {
      return std::nullopt;
    }
    d.offsets.push_back(offset);
    in.skip(2);  // isdst and the abbreviation index: the offset is all a conversion needs
  }
  // Abbreviations, leap-second records and the standard/UT indicators are not needed.
  in.skip(h.charcnt + h.leapcnt * (time_size + 4) + h.isstdcnt + h.isutcnt);
  return d;
}

// The POSIX TZ string between the two newlines after a version 2+ data block.
std::string_view read_footer(std::string_view rest) {
  if (rest.size() < 2 || rest.front() != '\n') {
    return {};
  }
  const std::size_t end = rest.find('\n', 1);
  return end == std::string_view::npos ? std::string_view{} : rest.substr(1, end - 1);
}

// A cursor over a POSIX TZ string: POSIX.1-2017 §8.3 with the RFC 8536 §3.3.1 extensions (hours of
// a rule time from -167 to 167).
class PosixCursor {
 public:
  explicit PosixCursor(std::string_view text) : s_(text) {}

  bool done() const { return pos_ == s_.size(); }
  bool peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool take(char c) {
    if (!peek(c)) {
      return false;
    }
    ++pos_;
    return true;
  }

  // An abbreviation: three or more letters, or `<...>` of letters, digits, `+` and `-`.
  bool name() {
    const bool quoted = take('<');
    const std::size_t start = pos_;
    while (pos_ < s_.size() && (is_letter(s_[pos_]) || (quoted && is_quoted_char(s_[pos_])))) {
      ++pos_;
    }
    return pos_ - start >= 3 && (!quoted || take('>'));
  }

  // A number of at most `max`, or nullopt.
  std::optional<int> number(int max) {
    const std::size_t start = pos_;
    int value = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9' && pos_ - start < 4) {
      value = value * 10 + (s_[pos_++] - '0');
    }
    return pos_ == start || value > max ? std::nullopt : std::optional<int>(value);
  }

  // `[+-]hh[:mm[:ss]]` in seconds, with the sign as written.
  std::optional<std::int64_t> hms(int max_hours) {
    int sign = 1;
    if (take('-')) {
      sign = -1;
    } else {
      take('+');
    }
    const auto hours = number(max_hours);
    std::optional<int> minutes = 0;
    std::optional<int> seconds = 0;
    if (hours && take(':')) {
      minutes = number(59);
      if (minutes && take(':')) {
        seconds = number(59);
      }
    }
    if (!hours || !minutes || !seconds) {
      return std::nullopt;
    }
    return sign * (std::int64_t{*hours} * 3600 + *minutes * 60 + *seconds);
  }

 private:
  static bool is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
  static bool is_quoted_char(char c) { return (c >= '0' && c <= '9') || c == '+' || c == '-'; }

  std::string_view s_;
  std::size_t pos_ = 0;
};

// `Jn`, `n` or `Mm.w.d`, then an optional `/time`.
std::optional<detail::RuleDate> parse_rule_date(PosixCursor& in) {
  using Kind = detail::RuleDate::Kind;
  detail::RuleDate date;
  std::optional<int> day;
  if (in.take('J')) {
    date.kind = Kind::julian_no_leap;
    day = in.number(365);
    day = day && *day >= 1 ? day : std::nullopt;
  } else if (in.take('M')) {
    date.kind = Kind::month_week_day;
    const auto month = in.number(12);
    const auto week = month && in.take('.') ? in.number(5) : std::nullopt;
    day = week && in.take('.') ? in.number(6) : std::nullopt;
    if (!day || *month < 1 || *week < 1) {
      return std::nullopt;
    }
    date.month = *month;
    date.week = *week;
  } else {
    day = in.number(365);
  }
  if (!day) {
    return std::nullopt;
  }
  date.day = *day;
  if (in.take('/')) {
    const auto time = in.hms(167);
    if (!time) {
      return std::nullopt;
    }
    date.time = *time;
  }
  return date;
}

std::optional<detail::PosixRule> parse_posix_rule(std::string_view text) {
  PosixCursor in(text);
  detail::PosixRule rule;
  const auto std_west = in.name() ? in.hms(24) : std::nullopt;
  if (!std_west) {
    return std::nullopt;
  }
  rule.std_offset = rule.dst_offset = -static_cast<int>(*std_west);
  if (in.done()) {
    return rule;
  }
  if (!in.name()) {
    return std::nullopt;
  }
  rule.has_dst = true;
  rule.dst_offset = rule.std_offset + 3600;  // POSIX: one hour ahead unless given
  if (!in.peek(',')) {
    const auto dst_west = in.hms(24);
    if (!dst_west) {
      return std::nullopt;
    }
    rule.dst_offset = -static_cast<int>(*dst_west);
  }
  // POSIX leaves a daylight zone without a rule to the implementation; TZif footers always spell
  // the rule out, so one missing means a footer this reader does not understand.
  const auto start = in.take(',') ? parse_rule_date(in) : std::nullopt;
  const auto end = start && in.take(',') ? parse_rule_date(in) : std::nullopt;
  if (!end || !in.done()) {
    return std::nullopt;
  }
  rule.start = *start;
  rule.end = *end;
  return rule;
}

// The local second (wall clock counted as if UTC) at which `date` falls in `year`.
std::int64_t rule_local_seconds(const detail::RuleDate& date, std::int64_t year) noexcept {
  using Kind = detail::RuleDate::Kind;
  const std::int64_t jan1 = days_from_civil(year, 1, 1);
  std::int64_t day = jan1 + date.day;  // Kind::zero_based
  if (date.kind == Kind::julian_no_leap) {
    day = jan1 + date.day - 1 + (is_leap_year(year) && date.day >= 60 ? 1 : 0);
  } else if (date.kind == Kind::month_week_day) {
    const auto month = static_cast<unsigned>(date.month);
    const std::int64_t first = days_from_civil(year, month, 1);
    const std::int64_t first_weekday = ((first % 7) + 11) % 7;  // 1970-01-01 was a Thursday
    std::int64_t dom = 1 + (date.day - first_weekday + 7) % 7 + 7 * (date.week - 1);
    while (dom > static_cast<std::int64_t>(days_in_month(year, month))) {
      dom -= 7;  // week 5 means the last such weekday of the month
    }
    day = first + dom - 1;
  }
  return day * 86400 + date.time;
}

// The two transitions a rule makes in one year, in time order, as UTC and wall-clock seconds.
struct YearTransitions {
  std::int64_t utc[2];
  std::int64_t local[2];
  int offset_after[2];
};

YearTransitions transitions_in(const detail::PosixRule& rule, std::int64_t year) noexcept {
  const std::int64_t start = rule_local_seconds(rule.start, year) - rule.std_offset;
  const std::int64_t end = rule_local_seconds(rule.end, year) - rule.dst_offset;
  const int later = std::max(rule.std_offset, rule.dst_offset);
  YearTransitions t{{start, end}, {start + later, end + later}, {rule.dst_offset, rule.std_offset}};
  if (end < start) {  // southern hemisphere: daylight time spans the new year
    std::swap(t.utc[0], t.utc[1]);
    std::swap(t.local[0], t.local[1]);
    std::swap(t.offset_after[0], t.offset_after[1]);
  }
  return t;
}

// The rule's offset at a UTC second or (with `local`) at a wall-clock second. Before the year's
// first transition the offset is the one the previous year ended with, which is the one after this
// year's second transition.
int rule_offset(const detail::PosixRule& rule, std::int64_t seconds, bool local) noexcept {
  if (!rule.has_dst) {
    return rule.std_offset;
  }
  seconds = clamp_calendar(seconds);
  const std::int64_t wall = local ? seconds : seconds + rule.std_offset;
  const YearTransitions t = transitions_in(rule, civil_from_days(floor_days(wall)).year);
  const std::int64_t* at = local ? t.local : t.utc;
  if (seconds >= at[0] && seconds < at[1]) {
    return t.offset_after[0];
  }
  return t.offset_after[1];
}

}  // namespace

const boost::system::error_category& time_zone_category() noexcept {
  static const Category category;
  return category;
}

boost::system::error_code make_error_code(TimeZoneError e) noexcept {
  return {static_cast<int>(e), time_zone_category()};
}

TimeZone TimeZone::utc() { return fixed(0, "UTC"); }

TimeZone TimeZone::fixed(int offset_seconds, std::string name) {
  TimeZone zone;
  zone.name_ = std::move(name);
  zone.initial_offset_ = offset_seconds;
  return zone;
}

Result<TimeZone> TimeZone::load(std::string_view name) {
  const char* dir = std::getenv("TZDIR");
  return load(name, dir != nullptr && *dir != '\0' ? dir : kSystemZoneinfo);
}

Result<TimeZone> TimeZone::load(std::string_view name, const std::filesystem::path& zoneinfo_dir) {
  if (name == "UTC" || name == "Z") {
    return fixed(0, std::string(name));
  }
  if (!name.empty() && (name.front() == '+' || name.front() == '-')) {
    const auto offset = parse_fixed_offset(name);
    if (!offset) {
      return make_error_code(TimeZoneError::bad_offset);
    }
    return fixed(*offset, std::string(name));
  }
  if (!is_zone_name(name)) {
    return make_error_code(TimeZoneError::bad_name);
  }
  const std::filesystem::path file = zoneinfo_dir / std::filesystem::path(name);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return make_error_code(TimeZoneError::not_found);
  }
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    return make_error_code(TimeZoneError::read_failed);
  }
  return parse_tzif(bytes, std::string(name));
}

Result<TimeZone> TimeZone::parse_tzif(std::string_view bytes, std::string name) {
  ByteReader in(bytes);
  auto header = read_header(in);
  if (!header) {
    return make_error_code(TimeZoneError::bad_tzif);
  }
  auto data = read_data(in, *header, 4);
  std::string_view footer;
  if (data && header->version >= '2') {
    // Version 2+: the 32-bit block is kept only for old readers; the 64-bit one follows.
    header = read_header(in);
    data = header ? read_data(in, *header, 8) : std::nullopt;
    footer = read_footer(in.rest());
  }
  if (!data) {
    return make_error_code(TimeZoneError::bad_tzif);
  }
  TimeZone zone = fixed(data->offsets[0], std::move(name));
  for (std::size_t i = 0; i < data->times.size(); ++i) {
    zone.add_transition(data->times[i], data->offsets[data->type_of[i]]);
  }
  zone.rule_ = parse_posix_rule(footer);
  return zone;
}

// Keeps only transitions that change the offset, with the wall-clock second each takes effect: the
// later of the two wall times it separates, so that a skipped or repeated wall time keeps the
// offset in force before it (see offset_for_local).
void TimeZone::add_transition(std::int64_t utc, int offset_after) {
  const int before = offsets_after_.empty() ? initial_offset_ : offsets_after_.back();
  if (offset_after == before) {
    return;
  }
  std::int64_t local = clamp_calendar(utc) + std::max(before, offset_after);
  if (!local_transitions_.empty()) {
    local = std::max(local, local_transitions_.back());
  }
  transitions_.push_back(utc);
  local_transitions_.push_back(local);
  offsets_after_.push_back(offset_after);
}

int TimeZone::offset_for_utc(std::int64_t utc_seconds) const noexcept {
  if (rule_ && (transitions_.empty() || utc_seconds >= transitions_.back())) {
    return rule_offset(*rule_, utc_seconds, false);
  }
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_seconds);
  return it == transitions_.begin()
             ? initial_offset_
             : offsets_after_[static_cast<std::size_t>(it - transitions_.begin() - 1)];
}

int TimeZone::offset_for_local(std::int64_t local_seconds) const noexcept {
  if (rule_ && (local_transitions_.empty() || local_seconds >= local_transitions_.back())) {
    return rule_offset(*rule_, local_seconds, true);
  }
  const auto it =
      std::upper_bound(local_transitions_.begin(), local_transitions_.end(), local_seconds);
  return it == local_transitions_.begin()
             ? initial_offset_
             : offsets_after_[static_cast<std::size_t>(it - local_transitions_.begin() - 1)];
}

}  // namespace hisbridge::mapping
