#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>

#include "engine/simulate/sim_time.hpp"

namespace hisbridge::simulate {

// A bounded delay in minutes: most draws fall near `mode`, none outside [low, high]. A
// triangular distribution keeps every delay inside a range a test can state, where a
// log-normal one would have an unbounded tail.
struct DelayRange {
  double low = 0;
  double mode = 0;
  double high = 0;
};

// The one source of randomness of a simulated day. Every draw goes through it, in an order
// fixed by the model, so a seed reproduces the whole day byte for byte. The distributions are
// computed here rather than with <random>'s, whose results differ between standard libraries.
class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}

  // Uniform in [0, 1).
  double unit();
  // Uniform integer in [low, high].
  std::int64_t between(std::int64_t low, std::int64_t high);
  // True with probability `p`.
  bool chance(double p);
  // A delay drawn from `range`, in whole seconds.
  SimTime delay(const DelayRange& range);
  // An index drawn with the given non-negative weights (at least one positive).
  std::size_t weighted(std::span<const double> weights);

  template <class T>
  const T& pick(std::span<const T> items) {
    return items[static_cast<std::size_t>(between(0, static_cast<std::int64_t>(items.size()) - 1))];
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace hisbridge::simulate
