// The paired rounds' bookkeeping: which side runs when, and the statistics the mapping bench's
// verdicts are taken from. No timing is asserted (rates only have to be there).
#include "tests/bench/paired_rounds.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hisbridge::bench {
namespace {

TEST(PairedRoundsTest, SidesAlternateTheirOrderFromRoundToRound) {
  std::string calls;
  RoundPlan plan;
  plan.rounds = 4;
  plan.seconds_per_side = 0;  // one pass a side
  const PairedRounds rounds =
      run_paired_rounds([&] { calls += 'b'; }, [&] { calls += 'm'; }, plan);
  // A warm-up and a timed pass of each side set the passes, then the rounds: the baseline
  // first in even rounds, the measured side first in odd ones.
  EXPECT_EQ(calls, "bbmm" "bm" "mb" "bm" "mb");
  ASSERT_EQ(rounds.baseline.size(), 4u);
  ASSERT_EQ(rounds.measured.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_GT(rounds.baseline[i], 0.0);
    EXPECT_GT(rounds.measured[i], 0.0);
  }
}

TEST(PairedRoundsTest, RatiosPairEachRoundsSides) {
  PairedRounds rounds;
  rounds.baseline = {100, 200, 400};
  rounds.measured = {30, 50, 160};
  EXPECT_EQ(round_ratios(rounds), (std::vector<double>{0.3, 0.25, 0.4}));
  rounds.measured.pop_back();  // a round without its pair is not one
  EXPECT_EQ(round_ratios(rounds).size(), 2u);
}

TEST(PairedRoundsTest, MedianAndBestOfAnyCount) {
  EXPECT_EQ(median_of({}), 0.0);
  EXPECT_EQ(median_of({7}), 7.0);
  EXPECT_EQ(median_of({9, 1, 5}), 5.0);
  EXPECT_EQ(median_of({4, 1, 3, 2}), 2.5);  // the mean of the middle two
  EXPECT_EQ(median_of({10, 10, 1, 10}), 10.0);
  EXPECT_EQ(best_of({}), 0.0);
  EXPECT_EQ(best_of({3, 9, 4}), 9.0);
}

}  // namespace
}  // namespace hisbridge::bench
