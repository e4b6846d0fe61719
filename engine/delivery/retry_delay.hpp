#pragma once

#include <chrono>
#include <cstdint>
#include <random>

#include "engine/config/config.hpp"

namespace hisbridge::delivery {

// The wait after the `failures`-th failed attempt in a row (1 = the first): first_delay,
// doubling, at most max_delay, and then drawn between half and all of that, so that many
// entries or engine nodes that failed together do not all come back at the same moment.
std::chrono::milliseconds retry_delay(const config::RetryConfig& policy, std::int64_t failures,
                                      std::mt19937_64& random);

}  // namespace hisbridge::delivery
