#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace hisbridge::bench {

// Two workloads timed in alternating short rounds on the calling thread, so that both see the
// same host. On a shared machine a core's speed drifts from minute to minute (other guests,
// their use of the shared caches); a baseline timed minutes apart from what is compared with
// it carries that drift into the ratio, while a round's pair is timed within milliseconds.
struct RoundPlan {
  std::size_t rounds = 40;
  double seconds_per_side = 0.02;  // CPU time of each side in a round, roughly
};

// Passes per CPU second of the calling thread, one entry per round.
struct PairedRounds {
  std::vector<double> baseline;
  std::vector<double> measured;
};

// Runs `baseline` and `measured` (one pass each per call) in plan.rounds rounds, the order
// within a round alternating so that neither side always runs on a cache the other warmed.
// The passes per side are set once from a first timed pass of each.
PairedRounds run_paired_rounds(const std::function<void()>& baseline,
                               const std::function<void()>& measured, const RoundPlan& plan);

// measured / baseline of each round.
std::vector<double> round_ratios(const PairedRounds& rounds);

double median_of(std::vector<double> values);
double best_of(const std::vector<double>& values);  // the largest

}  // namespace hisbridge::bench
