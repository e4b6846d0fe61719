#include "adapters/hisdb/write_time.hpp"

#include <gtest/gtest.h>

namespace hisbridge::hisdb {
namespace {

TEST(WriteTimeTest, FormatsUtcToTheSecondWithAnOffset) {
  EXPECT_EQ(iso8601_utc(0), "1970-01-01T00:00:00+00:00");
  EXPECT_EQ(iso8601_utc(1795936323LL * 1000 * 1000 + 999999), "2026-11-29T07:12:03+00:00");
  EXPECT_EQ(iso8601_utc(951782400LL * 1000 * 1000), "2000-02-29T00:00:00+00:00");
}

}  // namespace
}  // namespace hisbridge::hisdb
