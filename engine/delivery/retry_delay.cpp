#include "engine/delivery/retry_delay.hpp"

#include <algorithm>

namespace hisbridge::delivery {

std::chrono::milliseconds retry_delay(const config::RetryConfig& policy, std::int64_t failures,
                                      std::mt19937_64& random) {
  const std::int64_t first = std::max<std::int64_t>(1, policy.first_delay.count());
  const std::int64_t cap = std::max(first, static_cast<std::int64_t>(policy.max_delay.count()));
  std::int64_t delay = first;
  for (std::int64_t i = 1; i < failures && delay < cap; ++i) {
    delay *= 2;
  }
  delay = std::min(delay, cap);
  std::uniform_int_distribution<std::int64_t> jitter(delay / 2, delay);
  return std::chrono::milliseconds(jitter(random));
}

}  // namespace hisbridge::delivery
