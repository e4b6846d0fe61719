#include "adapters/net/log_throttle.hpp"

#include <gtest/gtest.h>

namespace hisbridge::net {
namespace {

using std::chrono::seconds;

IpAddress address(std::string_view text) { return *IpAddress::parse(text); }

TEST(LogThrottleTest, OneLinePerAddressAndIntervalWithTheCountKeptQuiet) {
  LogThrottle throttle(std::chrono::minutes(1));
  const LogThrottle::Clock::time_point t0{};
  EXPECT_EQ(throttle.allow(address("10.0.0.1"), t0), 0u);
  EXPECT_FALSE(throttle.allow(address("10.0.0.1"), t0 + seconds(1)));
  EXPECT_FALSE(throttle.allow(address("10.0.0.1"), t0 + seconds(59)));
  // Another address is logged on its own.
  EXPECT_EQ(throttle.allow(address("10.0.0.2"), t0 + seconds(2)), 0u);
  EXPECT_EQ(throttle.allow(address("10.0.0.1"), t0 + seconds(60)), 2u);
  EXPECT_FALSE(throttle.allow(address("10.0.0.1"), t0 + seconds(61)));
}

TEST(LogThrottleTest, WhenFullNewAddressesWaitForTheOldToAgeOut) {
  LogThrottle throttle(std::chrono::minutes(1), 2);
  const LogThrottle::Clock::time_point t0{};
  EXPECT_TRUE(throttle.allow(address("10.0.0.1"), t0));
  EXPECT_TRUE(throttle.allow(address("10.0.0.2"), t0 + seconds(30)));
  EXPECT_FALSE(throttle.allow(address("10.0.0.3"), t0 + seconds(40)));
  // 10.0.0.1 ages out at one minute; 10.0.0.2 is still within its interval.
  EXPECT_TRUE(throttle.allow(address("10.0.0.3"), t0 + seconds(61)));
  EXPECT_FALSE(throttle.allow(address("10.0.0.4"), t0 + seconds(62)));
}

}  // namespace
}  // namespace hisbridge::net
