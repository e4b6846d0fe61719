// Simulated times as HL7 and ISO 8601 text, and the times, durations and offsets the
// `simulate` command reads.
#include "engine/simulate/sim_time.hpp"

#include <gtest/gtest.h>

namespace hisbridge::simulate {
namespace {

constexpr UtcOffset kHanoi{7 * 3600};
constexpr SimTime kMorning = 1772673300;  // 2026-03-05T08:15:00+07:00

TEST(SimTimeTest, WritesHl7AndIsoTimesInTheHospitalsZone) {
  EXPECT_EQ(hl7_time(kMorning, kHanoi), "20260305081500+0700");
  EXPECT_EQ(iso_time(kMorning, kHanoi), "2026-03-05T08:15:00+07:00");
  EXPECT_EQ(iso_time(kMorning, UtcOffset{0}), "2026-03-05T01:15:00+00:00");
  EXPECT_EQ(hl7_time(kMorning, UtcOffset{-(5 * 3600 + 1800)}), "20260304194500-0530");
  EXPECT_EQ(yymmdd(kMorning, kHanoi), "260305");
}

TEST(SimTimeTest, LocalDaysStartAtLocalMidnight) {
  EXPECT_EQ(local_midnight(kMorning, kHanoi), kMorning - 8 * kHour - 15 * kMinute);
  EXPECT_EQ(local_hour(kMorning, kHanoi), 8);
  // 01:15 UTC is still the 5th in Hanoi but the 4th in New York.
  EXPECT_EQ(yymmdd(kMorning, UtcOffset{-5 * 3600}), "260304");
  EXPECT_EQ(local_hour(kMorning, UtcOffset{-5 * 3600}), 20);
  EXPECT_EQ(hl7_time(-1, UtcOffset{0}), "19691231235959+0000");
}

TEST(SimTimeTest, ReadsIsoTimes) {
  EXPECT_EQ(parse_iso_time("2026-03-05T08:15:00+07:00", kHanoi).value(), kMorning);
  EXPECT_EQ(parse_iso_time("2026-03-05T01:15:00Z", kHanoi).value(), kMorning);
  EXPECT_EQ(parse_iso_time("2026-03-05 08:15", kHanoi).value(), kMorning);
  EXPECT_EQ(parse_iso_time("2026-03-05T08:15+0700", UtcOffset{0}).value(), kMorning);
  EXPECT_EQ(parse_iso_time("2026-03-05", kHanoi).value(), kMorning - 8 * kHour - 15 * kMinute);
  for (const char* bad : {"", "2026-3-5", "2026-02-30", "2026-03-05T25:00", "2026-03-05T08:15+7",
                          "yesterday", "2026-03-05T08:15:00+07:00 "}) {
    EXPECT_FALSE(parse_iso_time(bad, kHanoi)) << bad;
  }
}

TEST(SimTimeTest, ReadsDurationsAndOffsets) {
  EXPECT_EQ(parse_duration("8h").value(), 8 * kHour);
  EXPECT_EQ(parse_duration("90m").value(), 90 * kMinute);
  EXPECT_EQ(parse_duration("1h30m").value(), 90 * kMinute);
  EXPECT_EQ(parse_duration("2d").value(), 2 * kDay);
  EXPECT_EQ(parse_duration("45s").value(), 45);
  EXPECT_EQ(parse_duration("0").value(), 0);
  for (const char* bad : {"", "8", "h", "-1h", "8x", "1.5h", "8h "}) {
    EXPECT_FALSE(parse_duration(bad)) << bad;
  }
  EXPECT_EQ(parse_utc_offset("+07:00").value(), kHanoi);
  EXPECT_EQ(parse_utc_offset("+0700").value(), kHanoi);
  EXPECT_EQ(parse_utc_offset("+07").value(), kHanoi);
  EXPECT_EQ(parse_utc_offset("-05:30").value().seconds, -(5 * 3600 + 1800));
  EXPECT_EQ(parse_utc_offset("Z").value().seconds, 0);
  for (const char* bad : {"", "07:00", "+7", "+15:00", "+07:60", "Asia/Ho_Chi_Minh"}) {
    EXPECT_FALSE(parse_utc_offset(bad)) << bad;
  }
}

}  // namespace
}  // namespace hisbridge::simulate
