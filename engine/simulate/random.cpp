#include "engine/simulate/random.hpp"

#include <cmath>

namespace hisbridge::simulate {

double Random::unit() {
  // The top 53 bits make every double in [0, 1) with 2^-53 spacing equally likely.
  return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
}

std::int64_t Random::between(std::int64_t low, std::int64_t high) {
  if (high <= low) {
    return low;
  }
  const auto span = static_cast<std::uint64_t>(high - low) + 1;
  // Rejection keeps the draw unbiased when `span` does not divide 2^64.
  const std::uint64_t limit = span == 0 ? 0 : (~std::uint64_t{0} - span + 1) % span;
  std::uint64_t draw = engine_();
  while (draw < limit) {
    draw = engine_();
  }
  return low + static_cast<std::int64_t>(draw % span);
}

bool Random::chance(double p) { return unit() < p; }

SimTime Random::delay(const DelayRange& range) {
  const double u = unit();
  const double width = range.high - range.low;
  double minutes = range.low;
  if (width > 0) {
    const double split = (range.mode - range.low) / width;
    minutes = u < split ? range.low + std::sqrt(u * width * (range.mode - range.low))
                        : range.high - std::sqrt((1 - u) * width * (range.high - range.mode));
  }
  return static_cast<SimTime>(std::llround(minutes * 60.0));
}

std::size_t Random::weighted(std::span<const double> weights) {
  double total = 0;
  for (const double w : weights) {
    total += w;
  }
  double draw = unit() * total;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (draw < weights[i]) {
      return i;
    }
    draw -= weights[i];
  }
  return weights.size() - 1;
}

}  // namespace hisbridge::simulate
