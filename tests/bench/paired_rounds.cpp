#include "tests/bench/paired_rounds.hpp"

#include <time.h>

#include <algorithm>
#include <cmath>

namespace hisbridge::bench {
namespace {

// CPU time of this thread, as Google Benchmark's own rates use: a time slice the host gives
// to another process does not count against the code measured.
double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double seconds_of(const std::function<void()>& pass, std::size_t passes) {
  const double start = thread_seconds();
  for (std::size_t i = 0; i < passes; ++i) {
    pass();
  }
  return thread_seconds() - start;
}

std::size_t passes_for(const std::function<void()>& pass, double seconds) {
  pass();  // warm: the first pass after the other side's may still miss in the caches
  const double one = std::max(seconds_of(pass, 1), 1e-7);
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(seconds / one)));
}

}  // namespace

PairedRounds run_paired_rounds(const std::function<void()>& baseline,
                               const std::function<void()>& measured, const RoundPlan& plan) {
  const std::size_t baseline_passes = passes_for(baseline, plan.seconds_per_side);
  const std::size_t measured_passes = passes_for(measured, plan.seconds_per_side);
  const auto rate = [](const std::function<void()>& pass, std::size_t passes) {
    return static_cast<double>(passes) / std::max(seconds_of(pass, passes), 1e-9);
  };
  PairedRounds out;
  for (std::size_t round = 0; round < plan.rounds; ++round) {
    if (round % 2 == 0) {
      out.baseline.push_back(rate(baseline, baseline_passes));
      out.measured.push_back(rate(measured, measured_passes));
    } else {
      out.measured.push_back(rate(measured, measured_passes));
      out.baseline.push_back(rate(baseline, baseline_passes));
    }
  }
  return out;
}

std::vector<double> round_ratios(const PairedRounds& rounds) {
  std::vector<double> out;
  for (std::size_t i = 0; i < rounds.baseline.size() && i < rounds.measured.size(); ++i) {
    out.push_back(rounds.measured[i] / rounds.baseline[i]);
  }
  return out;
}

double median_of(std::vector<double> values) {
  if (values.empty()) {
    return 0.0;
  }
  const std::size_t mid = values.size() / 2;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(mid);
  std::nth_element(values.begin(), middle, values.end());
  if (values.size() % 2 == 1) {
    return *middle;
  }
  // Everything before `middle` is no larger than it: the largest of them is the other middle.
  return (*std::max_element(values.begin(), middle) + *middle) / 2.0;
}

double best_of(const std::vector<double>& values) {
  return values.empty() ? 0.0 : *std::max_element(values.begin(), values.end());
}

}  // namespace hisbridge::bench
