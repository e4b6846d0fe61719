#include "engine/metrics/histogram.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <thread>
#include <vector>

namespace hisbridge::metrics {
namespace {

TEST(HistogramTest, BucketsAreInclusiveUpperBoundsAndCumulative) {
  Histogram h({0.1, 1, 10});
  for (const double v : {0.05, 0.1, 0.5, 1.0, 3.0, 10.0, 11.0, 1000.0}) {
    h.observe(v);
  }
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.bounds, (std::vector<double>{0.1, 1, 10}));
  EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{2, 4, 6, 8}));
  EXPECT_EQ(s.count, 8u);
  EXPECT_DOUBLE_EQ(s.sum, 0.05 + 0.1 + 0.5 + 1 + 3 + 10 + 11 + 1000);
}

TEST(HistogramTest, EmptyHistogramHasZeroesEverywhere) {
  Histogram h(latency_buckets());
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.cumulative.size(), latency_buckets().size() + 1);
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.sum, 0);
  for (const auto c : s.cumulative) {
    EXPECT_EQ(c, 0u);
  }
}

TEST(HistogramTest, NanGoesToInfAndPoisonsTheSum) {
  Histogram h({1});
  h.observe(std::nan(""));
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{0, 1}));
  EXPECT_TRUE(std::isnan(s.sum));
}

TEST(HistogramTest, RefusesBadBounds) {
  EXPECT_THROW(Histogram({}), std::invalid_argument);
  EXPECT_THROW(Histogram({1, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({2, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({1, INFINITY}), std::invalid_argument);
  EXPECT_THROW(exponential_buckets(0, 2, 3), std::invalid_argument);
  EXPECT_THROW(exponential_buckets(1, 1, 3), std::invalid_argument);
}

TEST(HistogramTest, ExponentialBuckets) {
  EXPECT_EQ(exponential_buckets(0.5, 2, 4), (std::vector<double>{0.5, 1, 2, 4}));
}

// Observations from many threads at once all arrive (no lost updates in the lock-free path).
TEST(HistogramTest, ConcurrentObservationsAreAllCounted) {
  Histogram h({1, 2});
  constexpr int kThreads = 4;
  constexpr int kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 0; i < kEach; ++i) {
        h.observe(t % 2 == 0 ? 0.5 : 1.5);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.count, static_cast<std::uint64_t>(kThreads * kEach));
  EXPECT_EQ(s.cumulative[0], static_cast<std::uint64_t>(kThreads / 2 * kEach));
  EXPECT_DOUBLE_EQ(s.sum, kThreads / 2 * kEach * 0.5 + kThreads / 2 * kEach * 1.5);
}

}  // namespace
}  // namespace hisbridge::metrics
