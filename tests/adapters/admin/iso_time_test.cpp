#include "adapters/admin/iso_time.hpp"

#include <gtest/gtest.h>

namespace hisbridge::admin {
namespace {

// 2026-03-05T01:15:00Z
constexpr std::int64_t kAt = 1772673300LL * 1'000'000;

const mapping::TimeZone& hanoi() {
  static const mapping::TimeZone zone = mapping::TimeZone::fixed(7 * 3600, "+07:00");
  return zone;
}

TEST(IsoTimeTest, FormatsInTheZoneWithMilliseconds) {
  EXPECT_EQ(format_iso(kAt, hanoi()), "2026-03-05T08:15:00.000+07:00");
  EXPECT_EQ(format_iso(kAt + 123'456, hanoi()), "2026-03-05T08:15:00.123+07:00");
  EXPECT_EQ(format_iso(kAt, mapping::TimeZone::utc()), "2026-03-05T01:15:00.000+00:00");
  EXPECT_EQ(format_iso(0, mapping::TimeZone::fixed(-5 * 3600 - 1800, "-05:30")),
            "1969-12-31T18:30:00.000-05:30");
  EXPECT_EQ(format_iso(-1, mapping::TimeZone::utc()), "1969-12-31T23:59:59.999+00:00");
}

TEST(IsoTimeTest, ReadsTimesWithTheirOwnOffset) {
  EXPECT_EQ(parse_iso("2026-03-05T08:15:00+07:00", hanoi()), kAt);
  EXPECT_EQ(parse_iso("2026-03-05T01:15:00Z", hanoi()), kAt);
  EXPECT_EQ(parse_iso("2026-03-05T01:15Z", hanoi()), kAt);
  EXPECT_EQ(parse_iso("2026-03-05T08:15:00+0700", hanoi()), kAt);
  EXPECT_EQ(parse_iso("2026-03-05T08:15:00+07", hanoi()), kAt);
  EXPECT_EQ(parse_iso("2026-03-04T20:15:00-05:00", hanoi()), kAt);
  EXPECT_EQ(parse_iso("2026-03-05T01:15:00.25Z", hanoi()), kAt + 250'000);
  EXPECT_EQ(parse_iso("2026-03-05T01:15:00.1234567Z", hanoi()), kAt + 123'456);
}

TEST(IsoTimeTest, ReadsTimesWithoutOffsetInTheZone) {
  EXPECT_EQ(parse_iso("2026-03-05T08:15:00", hanoi()), kAt);
  EXPECT_EQ(parse_iso("2026-03-05 08:15", hanoi()), kAt);
  // A date alone: midnight where the engine is.
  EXPECT_EQ(parse_iso("2026-03-05", hanoi()), (1772643600LL) * 1'000'000);
}

TEST(IsoTimeTest, ASpaceWhereAPlusWasIsAPlus) {
  EXPECT_EQ(parse_iso("2026-03-05T08:15:00 07:00", hanoi()), kAt);
}

TEST(IsoTimeTest, RefusesWhatIsNotADateOrTime) {
  for (const char* bad :
       {"", "yesterday", "2026", "2026-03", "2026-3-5", "2026-02-30", "2026-13-01",
        "2026-03-05T24:00", "2026-03-05T08:60", "2026-03-05T08:15:61", "2026-03-05T08",
        "2026-03-05T08:15:00+25:00", "2026-03-05T08:15:00X", "2026-03-05T08:15:00.", "1772673300",
        "2026-03-05T08:15:00+07:00junk"}) {
    EXPECT_FALSE(parse_iso(bad, hanoi()).has_value()) << bad;
  }
}

TEST(IsoTimeTest, FormatAndParseRoundTripToTheMillisecond) {
  for (const std::int64_t us :
       {kAt, kAt + 999'000, std::int64_t{0}, std::int64_t{86'400'000'000}}) {
    EXPECT_EQ(parse_iso(format_iso(us, hanoi()), hanoi()), us);
  }
}

}  // namespace
}  // namespace hisbridge::admin
