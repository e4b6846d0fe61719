#include "engine/timeline/iso_time.hpp"

#include <gtest/gtest.h>

namespace hisbridge::timeline {
namespace {

constexpr std::int64_t kSecond = 1'000'000;
// 2026-03-05T01:15:00Z
constexpr std::int64_t kT = 1772673300LL * kSecond;

TEST(IsoTimeTest, ReadsWhatTheMappingWrites) {
  EXPECT_EQ(iso_to_unix_us("2026-03-05T08:15:00+07:00"), kT);
  EXPECT_EQ(iso_to_unix_us("2026-03-05T08:15+07:00"), kT);
  EXPECT_EQ(iso_to_unix_us("2026-03-05T01:15:00Z"), kT);
  EXPECT_EQ(iso_to_unix_us("2026-03-05T01:15:00+00:00"), kT);
  EXPECT_EQ(iso_to_unix_us("2026-03-04T20:15:00-05:00"), kT);
  EXPECT_EQ(iso_to_unix_us("2026-03-05T08:15:00.1234+07:00"), kT + 123'400);
  EXPECT_EQ(iso_to_unix_us("2026-03-05T08:15:00.123456789+07:00"), kT + 123'456);
  // Local mean time before 1906 has offsets with seconds.
  EXPECT_EQ(iso_to_unix_us("1900-01-01T00:00:00+07:06:40"),
            (-2208988800LL - 25600) * kSecond);
  EXPECT_EQ(iso_to_unix_us("1970-01-01T00:00Z"), 0);
  // Spaces around the value, which the mapping's own ISO reader allows too.
  EXPECT_EQ(iso_to_unix_us("  2026-03-05T08:15:00+07:00 "), kT);
  EXPECT_FALSE(iso_to_unix_us("   "));
}

TEST(IsoTimeTest, CalendarEdges) {
  EXPECT_EQ(iso_to_unix_us("2024-02-29T00:00Z"), 1709164800LL * kSecond);
  EXPECT_EQ(iso_to_unix_us("2000-03-01T00:00Z"), 951868800LL * kSecond);
  EXPECT_FALSE(iso_to_unix_us("2026-02-29T00:00Z"));
  EXPECT_FALSE(iso_to_unix_us("2026-04-31T00:00Z"));
  EXPECT_FALSE(iso_to_unix_us("2026-13-01T00:00Z"));
  EXPECT_FALSE(iso_to_unix_us("2026-03-05T24:00Z"));
  EXPECT_FALSE(iso_to_unix_us("2026-03-05T08:60Z"));
  EXPECT_FALSE(iso_to_unix_us("2026-03-05T08:15:60Z"));
}

TEST(IsoTimeTest, NotAnInstantIsNothing) {
  for (const char* bad : {"", "2026-03-05", "2026-03", "2026", "2026-03-05T08:15",
                          "2026-03-05T08:15:00", "20260305081500", "2026-03-05 08:15+07:00",
                          "2026-03-05T08:15:00.+07:00", "2026-03-05T08:15+0700",
                          "2026-03-05T08:15+24:00",
                          "2026-03-05T08:15+07:00x", "0000-01-01T00:00Z", "garbage"}) {
    EXPECT_FALSE(iso_to_unix_us(bad)) << bad;
  }
}

}  // namespace
}  // namespace hisbridge::timeline
