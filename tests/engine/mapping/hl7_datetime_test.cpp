#include "engine/mapping/hl7_datetime.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace hisbridge::mapping {
namespace {

const TimeZone kPlusSeven = TimeZone::fixed(7 * 3600, "+07:00");

std::string iso(std::string_view hl7, const TimeZone& zone = kPlusSeven) {
  auto r = hl7_datetime_to_iso(hl7, zone);
  return r ? *r : "error: " + r.error().message();
}

boost::system::error_code error_of(std::string_view hl7) {
  auto r = hl7_datetime_to_iso(hl7, kPlusSeven);
  return r ? boost::system::error_code{} : r.error();
}

TEST(Hl7DateTimeTest, WritesThePrecisionGivenWithMinutesAtLeast) {
  EXPECT_EQ(iso("20260305081500"), "2026-03-05T08:15:00+07:00");
  EXPECT_EQ(iso("202603050815"), "2026-03-05T08:15+07:00");
  EXPECT_EQ(iso("2026030508"), "2026-03-05T08:00+07:00");
}

TEST(Hl7DateTimeTest, ValuesWithoutTimeStayDates) {
  EXPECT_EQ(iso("20260305"), "2026-03-05");
  EXPECT_EQ(iso("202603"), "2026-03");
  EXPECT_EQ(iso("2026"), "2026");
  EXPECT_EQ(iso("20260305+0000"), "2026-03-05");  // a date has no offset to keep
}

TEST(Hl7DateTimeTest, KeepsFractionsAsWritten) {
  EXPECT_EQ(iso("20260305081500.1234"), "2026-03-05T08:15:00.1234+07:00");
  EXPECT_EQ(iso("20260305081500.5"), "2026-03-05T08:15:00.5+07:00");
  EXPECT_EQ(iso("20260305081500.000000001"), "2026-03-05T08:15:00.000000001+07:00");
}

TEST(Hl7DateTimeTest, OffsetInTheValueWinsOverTheZone) {
  EXPECT_EQ(iso("20260305081500+0000"), "2026-03-05T08:15:00+00:00");
  EXPECT_EQ(iso("20260305081500-0000"), "2026-03-05T08:15:00+00:00");
  EXPECT_EQ(iso("202603050815-0330"), "2026-03-05T08:15-03:30");
  EXPECT_EQ(iso("20260305081500.12+0545"), "2026-03-05T08:15:00.12+05:45");
}

TEST(Hl7DateTimeTest, TrimsSpacesAndReportsEmpty) {
  EXPECT_EQ(iso("  20260305081500 "), "2026-03-05T08:15:00+07:00");
  for (std::string_view empty : {"", " ", "    "}) {
    EXPECT_EQ(error_of(empty), make_error_code(DateTimeError::empty));
  }
  EXPECT_EQ(error_of("\t20260305"), make_error_code(DateTimeError::not_a_digit));
}

TEST(Hl7DateTimeTest, ZoneGivesTheOffsetOfThatWallTime) {
  auto saigon = TimeZone::load("Asia/Ho_Chi_Minh");
  if (saigon) {
    EXPECT_EQ(iso("20260305081500", *saigon), "2026-03-05T08:15:00+07:00");
    EXPECT_EQ(iso("196506011200", *saigon), "1965-06-01T12:00+08:00");
    EXPECT_EQ(iso("190001011200", *saigon), "1900-01-01T12:00+07:06:30");
  }
  auto berlin = TimeZone::load("Europe/Berlin");
  if (!berlin) {
    GTEST_SKIP() << "no Europe/Berlin in the tz database";
  }
  EXPECT_EQ(iso("202601151200", *berlin), "2026-01-15T12:00+01:00");
  EXPECT_EQ(iso("202607151200", *berlin), "2026-07-15T12:00+02:00");
  EXPECT_EQ(iso("202603290230", *berlin), "2026-03-29T02:30+01:00");  // skipped: offset before
  EXPECT_EQ(iso("202610250230", *berlin), "2026-10-25T02:30+02:00");  // repeated: the first
}

// YYYYMMDDHHMM[SS] with or without an offset is converted by copying its digits; a leading
// space sends the same text through the general parse. Both give the same text or error over
// every edge of every part, in a fixed zone and in one with a history of offsets.
TEST(Hl7DateTimeTest, TheCommonFormGivesWhatTheGeneralParseGives) {
  std::vector<TimeZone> zones = {kPlusSeven};
  if (auto saigon = TimeZone::load("Asia/Ho_Chi_Minh")) {
    zones.push_back(*saigon);
  }
  std::size_t compared = 0;
  for (const TimeZone& zone : zones) {
    for (const char* year : {"0000", "0999", "1900", "1965", "2000", "2024", "2025"}) {
      for (const char* month : {"00", "01", "02", "04", "12", "13"}) {
        for (const char* day : {"00", "01", "28", "29", "30", "31", "32"}) {
          for (const char* time : {"0000", "2359", "2400", "0060", "000059", "235959", "120060",
                                   "246000"}) {
            for (const char* offset : {"", "+0000", "-0000", "+0700", "-0330", "+2400", "+0060",
                                       "+07", "+07000", "x"}) {
              const std::string text = std::string(year) + month + day + time + offset;
              auto common = hl7_datetime_to_iso(text, zone);
              auto general = hl7_datetime_to_iso(" " + text, zone);
              ASSERT_EQ(common.has_value(), general.has_value()) << text;
              if (common) {
                EXPECT_EQ(*common, *general) << text;
              } else {
                EXPECT_EQ(common.error(), general.error()) << text;
              }
              ++compared;
            }
          }
        }
      }
    }
  }
  EXPECT_GE(compared, 23'520U);
}

// A byte that is not a digit, anywhere in the first eight (checked a word at a time) or after
// them: bytes just below '0' and just above '9', and high ones (a UTF-8 digit), each give what the
// general parse gives.
TEST(Hl7DateTimeTest, ANonDigitAnywhereInTheDigitsGivesWhatTheGeneralParseGives) {
  const std::string good = "20260305081500+0700";
  std::size_t compared = 0;
  for (std::size_t at = 0; at < 14; ++at) {
    for (const char bad : {'/', ':', ' ', 'A', '\x00', '\x7f', '\xb0', '\xba', '\xef', '\xff'}) {
      std::string text = good;
      text[at] = bad;
      auto common = hl7_datetime_to_iso(text, kPlusSeven);
      auto general = hl7_datetime_to_iso(" " + text, kPlusSeven);
      ASSERT_EQ(common.has_value(), general.has_value()) << at << " " << static_cast<int>(bad);
      if (common) {
        EXPECT_EQ(*common, *general) << text;
      } else {
        EXPECT_EQ(common.error(), general.error()) << at << " " << static_cast<int>(bad);
      }
      ++compared;
    }
  }
  EXPECT_EQ(compared, 140U);
  EXPECT_EQ(*hl7_datetime_to_iso(good, kPlusSeven), "2026-03-05T08:15:00+07:00");
  EXPECT_EQ(*hl7_datetime_to_iso("20260305081500-0330", kPlusSeven), "2026-03-05T08:15:00-03:30");
}

// The common form written into a buffer: what it writes is what the general parse writes; it
// takes the forms senders use and leaves every other one (returns 0) to the general parse.
TEST(Hl7DateTimeTest, TheCommonFormIntoABufferWritesWhatTheGeneralParseWrites) {
  const std::string_view taken[] = {"202603050815", "20260305081500", "202603050815+0700",
                                    "20260305081500-0330", "20260305081500+0000",
                                    "20000229235959"};
  const std::string_view left[] = {"2026030508",        "2026030508150",     "202603050815001",
                                   "20260305081500.12", "20260305081500+07", "20260305081500+07000",
                                   "20260305081500 ",   "20260305081500+0a00", "20250229081500",
                                   "20260305241500",    "20260305081500+2400", ""};
  char buffer[kCommonIsoMax];
  for (const std::string_view text : taken) {
    const std::size_t n = common_datetime_to_iso(text, kPlusSeven, buffer);
    ASSERT_NE(n, 0U) << text;
    auto general = hl7_datetime_to_iso(" " + std::string(text), kPlusSeven);
    ASSERT_TRUE(general) << text;
    EXPECT_EQ(std::string_view(buffer, n), *general) << text;
  }
  for (const std::string_view text : left) {
    EXPECT_EQ(common_datetime_to_iso(text, kPlusSeven, buffer), 0U) << text;
  }
  EXPECT_EQ(*hl7_datetime_to_iso("20260305081500+0000", kPlusSeven), "2026-03-05T08:15:00+00:00");
}

// The calendar's edges in the common form: it takes a time exactly when the general parse
// (made to run by a leading space) takes it, and writes the same text.
TEST(Hl7DateTimeTest, TheCommonFormKeepsTheCalendarAsTheGeneralParseDoes) {
  char buffer[kCommonIsoMax];
  std::size_t taken = 0;
  std::size_t checked = 0;
  for (const char* year : {"0000", "0001", "1900", "2000", "2024", "2025", "2100"}) {
    for (int month = 0; month <= 13; ++month) {
      for (int day : {0, 1, 28, 29, 30, 31, 32}) {
        for (const char* time : {"0000", "2359", "235959", "235960", "2400", "0060"}) {
          char text[32];
          std::snprintf(text, sizeof text, "%s%02d%02d%s", year, month, day, time);
          const std::size_t n = common_datetime_to_iso(text, kPlusSeven, buffer);
          auto general = hl7_datetime_to_iso(" " + std::string(text), kPlusSeven);
          ASSERT_EQ(n != 0, general.has_value()) << text;
          if (n != 0) {
            EXPECT_EQ(std::string_view(buffer, n), *general) << text;
            ++taken;
          }
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 7U * 14 * 7 * 6);
  EXPECT_GT(taken, 0U);
}

// A plain date written into a buffer: what hl7_date_to_iso writes, for exactly eight digits of
// a real day; every other text is left to it.
TEST(Hl7DateTimeTest, ThePlainDateIntoABufferWritesWhatTheDateParseWrites) {
  char buffer[kCommonIsoMax];
  for (const std::string_view text : {"19850412", "20240229", "20001231", "00010101"}) {
    const std::size_t n = common_date_to_iso(text, buffer);
    ASSERT_EQ(n, 10U) << text;
    EXPECT_EQ(std::string_view(buffer, n), *hl7_date_to_iso(text)) << text;
  }
  for (const std::string_view text :
       {"19000229", "20250230", "20251301", "20250001", "00000101", "1985041", "198504120",
        "19850412 ", "1985-04-", "1985041a", "198504121230", ""}) {
    EXPECT_EQ(common_date_to_iso(text, buffer), 0U) << text;
  }
}

TEST(Hl7DateTimeTest, ValidatesTheCalendar) {
  EXPECT_EQ(iso("20240229"), "2024-02-29");
  EXPECT_EQ(iso("20000229235959"), "2000-02-29T23:59:59+07:00");
  EXPECT_EQ(error_of("20250229"), make_error_code(DateTimeError::bad_day));
  EXPECT_EQ(error_of("19000229"), make_error_code(DateTimeError::bad_day));
  EXPECT_EQ(error_of("20260431"), make_error_code(DateTimeError::bad_day));
  EXPECT_EQ(error_of("20260300"), make_error_code(DateTimeError::bad_day));
  EXPECT_EQ(error_of("20261305"), make_error_code(DateTimeError::bad_month));
  EXPECT_EQ(error_of("202600"), make_error_code(DateTimeError::bad_month));
  EXPECT_EQ(error_of("0000"), make_error_code(DateTimeError::bad_year));
  EXPECT_EQ(error_of("2026030524"), make_error_code(DateTimeError::bad_hour));
  EXPECT_EQ(error_of("202603052360"), make_error_code(DateTimeError::bad_minute));
  EXPECT_EQ(error_of("20260305235960"), make_error_code(DateTimeError::bad_second));
}

TEST(Hl7DateTimeTest, RefusesGarbageWithAReason) {
  struct Case {
    std::string_view text;
    DateTimeError error;
  };
  for (const Case& c : {
           Case{"abc", DateTimeError::not_a_digit},
           Case{"-0700", DateTimeError::not_a_digit},
           Case{"2026030", DateTimeError::bad_length},
           Case{"202603050815001", DateTimeError::bad_length},
           Case{"20260305081500123", DateTimeError::bad_length},
           Case{"26", DateTimeError::bad_length},
           Case{"2026030508x", DateTimeError::trailing_garbage},
           Case{"20260305081500+0700x", DateTimeError::trailing_garbage},
           Case{"20260305 0815", DateTimeError::trailing_garbage},
           Case{"20260305081500Z", DateTimeError::trailing_garbage},
           Case{"20260305081500+07", DateTimeError::bad_offset},
           Case{"20260305081500+07:00", DateTimeError::bad_offset},
           Case{"20260305081500+2400", DateTimeError::bad_offset},
           Case{"2026-03-05", DateTimeError::bad_offset},
           Case{"2026030508.5", DateTimeError::bad_fraction},
           Case{"20260305081500.", DateTimeError::bad_fraction},
           Case{"20260305081500.1234567890", DateTimeError::bad_fraction},
           Case{"20260305081500.+0700", DateTimeError::bad_fraction},
       }) {
    auto r = hl7_datetime_to_iso(c.text, kPlusSeven);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error(), make_error_code(c.error)) << c.text;
    EXPECT_FALSE(r.error().message().empty());
    EXPECT_STREQ(r.error().category().name(), "date_time");
  }
}

TEST(Hl7DateTimeTest, DateOfABirthDateThatCarriesATime) {
  EXPECT_EQ(*hl7_date_to_iso("19800512"), "1980-05-12");
  EXPECT_EQ(*hl7_date_to_iso("198005121230+0700"), "1980-05-12");
  EXPECT_EQ(*hl7_date_to_iso(" 19800512235959.12 "), "1980-05-12");
  EXPECT_EQ(*hl7_date_to_iso("1980"), "1980");
  EXPECT_EQ(*hl7_date_to_iso("198005"), "1980-05");
  EXPECT_EQ(hl7_date_to_iso("").error(), make_error_code(DateTimeError::empty));
  EXPECT_EQ(hl7_date_to_iso("19801312").error(), make_error_code(DateTimeError::bad_month));
  EXPECT_EQ(hl7_date_to_iso("198005122500").error(), make_error_code(DateTimeError::bad_hour));
}

TEST(Hl7DateTimeTest, IsoToUnixSeconds) {
  EXPECT_EQ(iso_to_unix_seconds("2026-03-05T08:15:00+07:00"), 1772673300);
  EXPECT_EQ(iso_to_unix_seconds("2026-03-05T08:15+07:00"), 1772673300);
  EXPECT_EQ(iso_to_unix_seconds("2026-03-05T01:15:00Z"), 1772673300);
  EXPECT_EQ(iso_to_unix_seconds("2026-03-04T21:45:00.999-03:30"), 1772673300);
  EXPECT_EQ(iso_to_unix_seconds("1970-01-01T00:00+00:00"), 0);
  EXPECT_EQ(iso_to_unix_seconds("1969-12-31T23:59:59.9+00:00"), -1);
  EXPECT_EQ(iso_to_unix_seconds("1900-01-01T12:00+07:06:30"), -2208988800 + 12 * 3600 - 25590);
  for (std::string_view none :
       {"2026-03-05", "2026-03", "2026", "2026-03-05T08:15", "2026-03-05T08:15:00", "",
        "2026-02-30T08:15+07:00", "2026-03-05T08:15+07", "2026-03-05T08:15+0700",
        "2026-03-05 08:15+07:00", "2026-03-05T08:15+07:00x"}) {
    EXPECT_FALSE(iso_to_unix_seconds(none)) << none;
  }
}

TEST(Hl7DateTimeTest, Hl7ToIsoToSecondsAgreesWithTheZone) {
  auto berlin = TimeZone::load("Europe/Berlin");
  if (!berlin) {
    GTEST_SKIP() << "no Europe/Berlin in the tz database";
  }
  // 2026-07-15T12:00+02:00 and 2026-01-15T12:00+01:00.
  EXPECT_EQ(iso_to_unix_seconds(iso("202607151200", *berlin)), 1784109600);
  EXPECT_EQ(iso_to_unix_seconds(iso("202601151200", *berlin)), 1768474800);
}

TEST(Hl7DateTimeTest, CompactPatternsPrintTheWallClockAsWritten) {
  EXPECT_EQ(*iso_to_compact("2026-03-05T08:15+07:00", "yyyyMMddHHmm"), "202603050815");
  EXPECT_EQ(*iso_to_compact("2026-03-05T08:15+07:00", "yyyyMMddHHmmss"), "20260305081500");
  EXPECT_EQ(*iso_to_compact("2026-03-05T23:30:45.5-05:00", "yyyyMMddHHmm"), "202603052330");
  EXPECT_EQ(*iso_to_compact("2026-03-05T08:15:09+07:00", "yyyy-MM-dd HH:mm:ss"),
            "2026-03-05 08:15:09");
  EXPECT_EQ(*iso_to_compact("2026-03-05", "yyyyMMdd"), "20260305");
  EXPECT_EQ(*iso_to_compact("2026-03-05", "dd/MM/yyyy"), "05/03/2026");
  EXPECT_EQ(*iso_to_compact("2026-03-05T08:15", "HHmm"), "0815");
  EXPECT_EQ(*iso_to_compact("2026", ""), "");
}

TEST(Hl7DateTimeTest, CompactPatternErrors) {
  EXPECT_EQ(iso_to_compact("2026-03-05", "yyyyMMddHHmm").error(),
            make_error_code(DateTimeError::missing_part));
  EXPECT_EQ(iso_to_compact("2026-03", "yyyyMMdd").error(),
            make_error_code(DateTimeError::missing_part));
  EXPECT_EQ(iso_to_compact("2026-03-05T08:15+07:00", "YYYYMMDD").error(),
            make_error_code(DateTimeError::bad_pattern));
  EXPECT_EQ(iso_to_compact("2026-03-05T08:15+07:00", "yyMMdd").error(),
            make_error_code(DateTimeError::bad_pattern));
  EXPECT_EQ(iso_to_compact("20260305", "yyyyMMdd").error(),
            make_error_code(DateTimeError::trailing_garbage));
  EXPECT_EQ(iso_to_compact("", "yyyy").error(), make_error_code(DateTimeError::empty));
  EXPECT_EQ(iso_to_compact("2026-13-05", "yyyy").error(),
            make_error_code(DateTimeError::bad_month));
}

}  // namespace
}  // namespace hisbridge::mapping
