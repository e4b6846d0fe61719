#include "engine/mapping/time_zone.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>

namespace hisbridge::mapping {
namespace {

constexpr std::int64_t kHour = 3600;

// Seconds since 1970 of a civil date and time, counted as UTC (or as a wall clock).
std::int64_t at(std::int64_t y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return days_from_civil(y, mo, d) * 86400 + h * kHour + mi * 60 + s;
}

// A real zone of the system tz database; the test skips when the database lacks it.
#define LOAD_OR_SKIP(var, name)                                     \
  auto var##_loaded = TimeZone::load(name);                         \
  if (!var##_loaded) {                                              \
    GTEST_SKIP() << name << ": " << var##_loaded.error().message(); \
  }                                                                 \
  const TimeZone& var = *var##_loaded

std::string zoneinfo_dir() {
  const char* dir = std::getenv("TZDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo";
}

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void put32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += static_cast<char>((v >> shift) & 0xFF);
  }
}

// A version 2 TZif file without transitions: one local time type of `utoff` seconds and the POSIX
// TZ `footer`, as `zic -b slim` writes zones whose rules the footer describes.
std::string slim_tzif(std::int32_t utoff, std::string_view footer) {
  std::string out;
  for (int block = 0; block < 2; ++block) {
    out += "TZif2";
    out.append(15, '\0');
    for (std::uint32_t count : {0u, 0u, 0u, 0u, 1u, 4u}) {  // isut isstd leap time type char
      put32(out, count);
    }
    put32(out, static_cast<std::uint32_t>(utoff));
    out += '\0';  // isdst
    out += '\0';  // abbreviation index
    out.append("STD", 4);
  }
  return out + "\n" + std::string(footer) + "\n";
}

TEST(TimeZoneTest, CivilArithmeticMatchesKnownDates) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  EXPECT_EQ(at(2026, 3, 5, 1, 15), 1772673300);
  for (std::int64_t day : {-719468LL, -1LL, 0LL, 11016LL, 20517LL, 2932896LL}) {
    const CivilDate c = civil_from_days(day);
    EXPECT_EQ(days_from_civil(c.year, c.month, c.day), day);
  }
  EXPECT_EQ(days_in_month(2024, 2), 29u);
  EXPECT_EQ(days_in_month(1900, 2), 28u);
  EXPECT_EQ(days_in_month(2000, 2), 29u);
  EXPECT_EQ(floor_days(-1), -1);
  EXPECT_EQ(floor_days(86399), 0);
}

TEST(TimeZoneTest, HoChiMinhIsPlusSevenNowAndPlusEightInTheSixties) {
  LOAD_OR_SKIP(zone, "Asia/Ho_Chi_Minh");
  EXPECT_EQ(zone.name(), "Asia/Ho_Chi_Minh");
  EXPECT_EQ(zone.offset_for_utc(at(2026, 3, 5, 1, 15)), 7 * kHour);
  EXPECT_EQ(zone.offset_for_local(at(2026, 3, 5, 8, 15)), 7 * kHour);
  EXPECT_EQ(zone.offset_for_utc(at(2200, 1, 1)), 7 * kHour);  // the footer, beyond the table
  EXPECT_EQ(zone.offset_for_local(at(1965, 6, 1, 12)), 8 * kHour);
  EXPECT_EQ(zone.offset_for_utc(at(1975, 6, 12, 15, 59, 59)), 8 * kHour);
  EXPECT_EQ(zone.offset_for_utc(at(1975, 6, 12, 16)), 7 * kHour);
  EXPECT_EQ(zone.offset_for_local(at(1900, 1, 1, 12)), 25590);  // local mean time 7:06:30
}

TEST(TimeZoneTest, BerlinSpringForwardBothSides) {
  LOAD_OR_SKIP(zone, "Europe/Berlin");
  // 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
  EXPECT_EQ(zone.offset_for_utc(at(2026, 3, 29, 0, 59, 59)), kHour);
  EXPECT_EQ(zone.offset_for_utc(at(2026, 3, 29, 1)), 2 * kHour);
  EXPECT_EQ(zone.offset_for_local(at(2026, 3, 29, 1, 59, 59)), kHour);
  EXPECT_EQ(zone.offset_for_local(at(2026, 3, 29, 2, 30)), kHour);  // skipped: offset before
  EXPECT_EQ(zone.offset_for_local(at(2026, 3, 29, 2, 59, 59)), kHour);
  EXPECT_EQ(zone.offset_for_local(at(2026, 3, 29, 3)), 2 * kHour);
}

TEST(TimeZoneTest, BerlinFallBackBothSides) {
  LOAD_OR_SKIP(zone, "Europe/Berlin");
  // 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00 UTC; 02:00-02:59 happens twice.
  EXPECT_EQ(zone.offset_for_utc(at(2026, 10, 25, 0, 59, 59)), 2 * kHour);
  EXPECT_EQ(zone.offset_for_utc(at(2026, 10, 25, 1)), kHour);
  EXPECT_EQ(zone.offset_for_local(at(2026, 10, 25, 1, 59, 59)), 2 * kHour);
  EXPECT_EQ(zone.offset_for_local(at(2026, 10, 25, 2, 30)), 2 * kHour);  // repeated: the first
  EXPECT_EQ(zone.offset_for_local(at(2026, 10, 25, 3)), kHour);
  EXPECT_EQ(zone.offset_for_local(at(2026, 1, 15, 12)), kHour);
}

TEST(TimeZoneTest, NewYorkBothTransitions) {
  LOAD_OR_SKIP(zone, "America/New_York");
  EXPECT_EQ(zone.offset_for_utc(at(2026, 1, 15, 12)), -5 * kHour);
  EXPECT_EQ(zone.offset_for_utc(at(2026, 7, 1, 12)), -4 * kHour);
  EXPECT_EQ(zone.offset_for_utc(at(2026, 3, 8, 6, 59, 59)), -5 * kHour);
  EXPECT_EQ(zone.offset_for_utc(at(2026, 3, 8, 7)), -4 * kHour);
  EXPECT_EQ(zone.offset_for_local(at(2026, 3, 8, 2, 30)), -5 * kHour);   // skipped
  EXPECT_EQ(zone.offset_for_local(at(2026, 11, 1, 1, 30)), -4 * kHour);  // repeated
  EXPECT_EQ(zone.offset_for_local(at(2026, 11, 1, 2)), -5 * kHour);
}

// Every wall time read back from an instant gives that instant's offset, except the repeated hour
// after falling back, which reads as its first occurrence.
TEST(TimeZoneTest, LocalAndUtcAgreeAllYearExceptTheRepeatedHour) {
  LOAD_OR_SKIP(zone, "Europe/Berlin");
  int disagreements = 0;
  for (std::int64_t utc = at(2026, 1, 1); utc < at(2027, 1, 1); utc += 15 * 60) {
    const int offset = zone.offset_for_utc(utc);
    if (zone.offset_for_local(utc + offset) != offset) {
      ++disagreements;
      EXPECT_EQ(offset, kHour);
      EXPECT_GE(utc, at(2026, 10, 25, 1));
      EXPECT_LT(utc, at(2026, 10, 25, 2));
    }
  }
  EXPECT_EQ(disagreements, 4);
}

// The footer rule alone must reproduce what the file's transition table says, for years whose rules
// have not changed since: this is how slim TZif files describe every recent year.
TEST(TimeZoneTest, FooterRuleMatchesTheTransitionTable) {
  struct Case {
    const char* name;
    std::int64_t since_year;
  };
  for (const Case& c : {Case{"Europe/Berlin", 1997}, Case{"America/New_York", 2008},
                        Case{"Australia/Sydney", 2009}, Case{"Europe/Dublin", 1997}}) {
    auto fat = TimeZone::load(c.name);
    if (!fat) {
      continue;
    }
    const std::string bytes = read_bytes(std::filesystem::path(zoneinfo_dir()) / c.name);
    const std::size_t end = bytes.find_last_not_of('\n');
    const std::size_t start = bytes.rfind('\n', end) + 1;
    auto slim = TimeZone::parse_tzif(slim_tzif(0, bytes.substr(start, end + 1 - start)), c.name);
    ASSERT_TRUE(slim) << c.name;
    for (std::int64_t t = at(c.since_year, 1, 1); t < at(2037, 1, 1); t += 1800) {
      ASSERT_EQ(slim->offset_for_utc(t), fat->offset_for_utc(t)) << c.name << " utc " << t;
      ASSERT_EQ(slim->offset_for_local(t), fat->offset_for_local(t)) << c.name << " local " << t;
    }
  }
}

TEST(TimeZoneTest, FooterRulesOfBothHemispheresAndNegativeDaylightTime) {
  auto sydney = TimeZone::parse_tzif(slim_tzif(0, "AEST-10AEDT,M10.1.0,M4.1.0/3"), "sydney");
  ASSERT_TRUE(sydney);
  EXPECT_EQ(sydney->offset_for_utc(at(2050, 1, 15)), 11 * kHour);
  EXPECT_EQ(sydney->offset_for_utc(at(2050, 7, 15)), 10 * kHour);
  auto dublin = TimeZone::parse_tzif(slim_tzif(0, "IST-1GMT0,M10.5.0,M3.5.0/1"), "dublin");
  ASSERT_TRUE(dublin);
  EXPECT_EQ(dublin->offset_for_utc(at(2050, 1, 15)), 0);
  EXPECT_EQ(dublin->offset_for_utc(at(2050, 7, 15)), kHour);
  auto julian = TimeZone::parse_tzif(slim_tzif(0, "<-03>3<-02>,J60/-1:30,300/+25"), "j");
  ASSERT_TRUE(julian);
  EXPECT_EQ(julian->offset_for_utc(at(2050, 2, 28, 12)), -3 * kHour);
  EXPECT_EQ(julian->offset_for_utc(at(2050, 6, 1)), -2 * kHour);
  EXPECT_EQ(julian->offset_for_utc(at(2050, 12, 1)), -3 * kHour);
  auto fixed = TimeZone::parse_tzif(slim_tzif(0, "<+07>-7"), "slim");
  ASSERT_TRUE(fixed);
  EXPECT_EQ(fixed->offset_for_local(at(2026, 3, 5, 8)), 7 * kHour);
}

TEST(TimeZoneTest, UnreadableFooterKeepsTheLastOffset) {
  for (std::string_view footer : {"", "EST5EDT", "CET-1CEST,M13.5.0,M10.5.0", "X-1", "CET-1x"}) {
    auto zone = TimeZone::parse_tzif(slim_tzif(5 * 3600, footer), "odd");
    ASSERT_TRUE(zone) << footer;
    EXPECT_EQ(zone->offset_for_utc(at(2026, 7, 1)), 5 * kHour) << footer;
  }
}

TEST(TimeZoneTest, VersionOneDataIsReadWhenThatIsAllThereIs) {
  LOAD_OR_SKIP(berlin, "Europe/Berlin");
  std::string bytes = read_bytes(std::filesystem::path(zoneinfo_dir()) / "Europe/Berlin");
  bytes[4] = '\0';  // version 1: the 32-bit block only, the rest of the file ignored
  auto v1 = TimeZone::parse_tzif(bytes, "v1");
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->offset_for_utc(at(2026, 7, 1)), 2 * kHour);
  EXPECT_EQ(v1->offset_for_local(at(2026, 1, 1)), kHour);
  EXPECT_EQ(v1->offset_for_utc(at(1990, 7, 1)), berlin.offset_for_utc(at(1990, 7, 1)));
}

TEST(TimeZoneTest, FixedOffsets) {
  struct Case {
    const char* text;
    int offset;
  };
  for (const Case& c : {Case{"+07:00", 25200}, Case{"-0330", -12600}, Case{"UTC", 0}, Case{"Z", 0},
                        Case{"+07", 25200}, Case{"-00:00", 0}, Case{"+0545", 20700}}) {
    auto zone = TimeZone::load(c.text);
    ASSERT_TRUE(zone) << c.text;
    EXPECT_EQ(zone->name(), c.text);
    EXPECT_EQ(zone->offset_for_utc(at(2026, 7, 1)), c.offset) << c.text;
    EXPECT_EQ(zone->offset_for_local(std::numeric_limits<std::int64_t>::min()), c.offset);
  }
  for (const char* bad : {"+7", "+24:00", "+07:0", "+0760", "-", "+07:00:00", "+07-00"}) {
    auto zone = TimeZone::load(bad);
    ASSERT_FALSE(zone) << bad;
    EXPECT_EQ(zone.error(), make_error_code(TimeZoneError::bad_offset)) << bad;
  }
  EXPECT_EQ(TimeZone::utc().offset_for_utc(0), 0);
}

TEST(TimeZoneTest, RefusesNamesOutsideTheDatabase) {
  for (const char* bad : {"", "../etc/passwd", "/etc/localtime", "Asia/../Asia/Ho_Chi_Minh",
                          "Asia//Ho_Chi_Minh", "Asia/Ho Chi Minh", "./UTC", "Asia/Ho_Chi_Minh/"}) {
    auto zone = TimeZone::load(bad);
    ASSERT_FALSE(zone) << bad;
    EXPECT_EQ(zone.error(), make_error_code(TimeZoneError::bad_name)) << bad;
  }
  EXPECT_EQ(TimeZone::load("Mars/Olympus_Mons").error(), make_error_code(TimeZoneError::not_found));
  EXPECT_NE(TimeZone::load("Mars/Olympus_Mons").error().message().find("not found"),
            std::string::npos);
}

TEST(TimeZoneTest, RefusesFilesThatAreNotTzif) {
  const testing_support::TempDir temp("hisbridge-time-zone");
  const std::filesystem::path& dir = temp.path();
  std::filesystem::create_directories(dir / "Bad");
  std::ofstream(dir / "Bad/Text") << "hello, not a zone\n";
  EXPECT_EQ(TimeZone::load("Bad/Text", dir).error(), make_error_code(TimeZoneError::bad_tzif));
  EXPECT_EQ(TimeZone::load("Bad", dir).error(), make_error_code(TimeZoneError::not_found));

  const std::string slim = slim_tzif(3600, "CET-1");
  for (std::size_t size = 0; size + 8 < slim.size(); ++size) {  // cut anywhere in the data
    EXPECT_FALSE(TimeZone::parse_tzif(slim.substr(0, size), "cut")) << size;
  }
  std::string bad_index = slim;
  bad_index[20 + 4 * 4 + 3] = 2;  // typecnt 2 in the first header, with data for one
  EXPECT_FALSE(TimeZone::parse_tzif(bad_index, "bad"));
}

TEST(TimeZoneTest, ExtremeTimesDoNotOverflow) {
  LOAD_OR_SKIP(zone, "Europe/Berlin");
  for (std::int64_t t : {std::numeric_limits<std::int64_t>::min(),
                         std::numeric_limits<std::int64_t>::max(), std::int64_t{1} << 62}) {
    const int utc = zone.offset_for_utc(t);
    const int local = zone.offset_for_local(t);
    EXPECT_TRUE(utc == kHour || utc == 2 * kHour || utc == 3208) << t;  // 3208: LMT
    EXPECT_TRUE(local == kHour || local == 2 * kHour || local == 3208) << t;
  }
}

}  // namespace
}  // namespace hisbridge::mapping
