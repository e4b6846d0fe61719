#include "engine/delivery/retry_delay.hpp"

#include <gtest/gtest.h>

namespace hisbridge::delivery {
namespace {

using std::chrono::milliseconds;

TEST(RetryDelayTest, DoublesFromTheFirstDelayUpToTheCapWithJitterBetweenHalfAndAll) {
  const config::RetryConfig policy{milliseconds(1000), milliseconds(60'000), 10};
  std::mt19937_64 random(42);
  const std::int64_t expected[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
  for (std::int64_t failures = 1; failures <= 8; ++failures) {
    const std::int64_t full = expected[failures - 1];
    std::int64_t low = full;
    std::int64_t high = 0;
    for (int i = 0; i < 200; ++i) {
      const auto d = retry_delay(policy, failures, random).count();
      ASSERT_GE(d, full / 2) << "failure " << failures;
      ASSERT_LE(d, full) << "failure " << failures;
      low = std::min(low, d);
      high = std::max(high, d);
    }
    EXPECT_LT(low, full * 3 / 5) << "jitter reaches down towards half, failure " << failures;
    EXPECT_GT(high, full * 9 / 10) << "jitter reaches up towards all, failure " << failures;
  }
}

TEST(RetryDelayTest, HugeFailureCountsStayAtTheCap) {
  const config::RetryConfig policy{milliseconds(10), milliseconds(300'000), 10};
  std::mt19937_64 random(7);
  const auto d = retry_delay(policy, 1'000'000, random).count();
  EXPECT_GE(d, 150'000);
  EXPECT_LE(d, 300'000);
}

}  // namespace
}  // namespace hisbridge::delivery
