#pragma once

#include <cstdint>
#include <limits>

namespace hisbridge::store {

// The earliest receive time a message received at `received_at_us` is compared with under the
// duplicate rule; saturates instead of overflowing for a window reaching before the epoch.
inline std::int64_t duplicate_window_start(std::int64_t received_at_us, std::int64_t window_us) {
  if (window_us > 0 && received_at_us < std::numeric_limits<std::int64_t>::min() + window_us) {
    return std::numeric_limits<std::int64_t>::min();
  }
  return received_at_us - window_us;
}

}  // namespace hisbridge::store
