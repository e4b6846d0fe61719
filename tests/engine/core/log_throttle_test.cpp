#include "engine/core/log_throttle.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hisbridge {
namespace {

using std::chrono::seconds;
using Throttle = LogThrottle<std::string>;

TEST(LogThrottleTest, OneLinePerKeyAndIntervalWithTheCountKeptQuiet) {
  Throttle throttle(seconds(10));
  const Throttle::Clock::time_point t0{};
  EXPECT_EQ(throttle.allow("commit 13", t0), 0u);
  for (int i = 1; i < 10; ++i) {
    EXPECT_FALSE(throttle.allow("commit 13", t0 + seconds(i)));
  }
  // Another kind of failure is logged on its own.
  EXPECT_EQ(throttle.allow("begin 13", t0 + seconds(2)), 0u);
  EXPECT_EQ(throttle.allow("commit 13", t0 + seconds(10)), 9u);
  EXPECT_FALSE(throttle.allow("commit 13", t0 + seconds(11)));
  EXPECT_EQ(throttle.allow("commit 13", t0 + seconds(30)), 1u);
}

TEST(LogThrottleTest, WhenFullNewKeysWaitForTheOldToAgeOut) {
  Throttle throttle(seconds(10), 2);
  const Throttle::Clock::time_point t0{};
  EXPECT_TRUE(throttle.allow("a", t0));
  EXPECT_TRUE(throttle.allow("b", t0 + seconds(5)));
  EXPECT_FALSE(throttle.allow("c", t0 + seconds(6)));
  // "a" ages out at 10 s; "b" is still within its interval.
  EXPECT_TRUE(throttle.allow("c", t0 + seconds(11)));
  EXPECT_FALSE(throttle.allow("d", t0 + seconds(12)));
}

}  // namespace
}  // namespace hisbridge
