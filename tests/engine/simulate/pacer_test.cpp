// When a run's messages are due on the wall clock: the day so far at once, the rest on the
// simulated clock at the chosen speed, never faster than the rate.
#include "engine/simulate/pacer.hpp"

#include <gtest/gtest.h>

namespace hisbridge::simulate {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = Pacer::Clock;

const Clock::time_point kWall{seconds(1000)};
constexpr SimTime kLive = 1772673300;

TEST(PacerTest, TheDaySoFarIsDueAtOnce) {
  Pacer pacer(kLive, kWall, 60, 0);
  EXPECT_EQ(pacer.due(kLive - 8 * kHour), kWall);
  EXPECT_EQ(pacer.due(kLive), kWall);
}

TEST(PacerTest, LaterMessagesFollowTheSimulatedClockAtTheSpeed) {
  Pacer pacer(kLive, kWall, 60, 0);
  EXPECT_EQ(pacer.due(kLive + kMinute), kWall + seconds(1));
  EXPECT_EQ(pacer.due(kLive + kHour), kWall + seconds(60));
  Pacer real_time(kLive, kWall, 1, 0);
  EXPECT_EQ(real_time.due(kLive + 90), kWall + seconds(90));
  EXPECT_EQ(real_time.simulated_now(kWall + seconds(30)), kLive + 30);
  EXPECT_EQ(pacer.simulated_now(kWall + seconds(30)), kLive + 30 * kMinute);
}

TEST(PacerTest, SpeedZeroSendsEverythingAtOnce) {
  Pacer pacer(kLive, kWall, 0, 0);
  EXPECT_EQ(pacer.due(kLive + 20 * kHour), kWall);
  EXPECT_EQ(pacer.simulated_now(kWall + seconds(30)), kLive);
}

TEST(PacerTest, TheRateSpacesMessagesOut) {
  Pacer pacer(kLive, kWall, 60, 100);  // at most one every 10 ms
  EXPECT_EQ(pacer.due(kLive - kHour), kWall);
  pacer.sent(kWall);
  EXPECT_EQ(pacer.due(kLive - kHour), kWall + milliseconds(10));
  pacer.sent(kWall + milliseconds(25));
  EXPECT_EQ(pacer.due(kLive - kHour), kWall + milliseconds(35));
  // A message due later on the simulated clock is not held back further by the rate.
  EXPECT_EQ(pacer.due(kLive + kMinute), kWall + seconds(1));
}

}  // namespace
}  // namespace hisbridge::simulate
