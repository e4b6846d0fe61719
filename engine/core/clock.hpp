#pragma once

#include <chrono>
#include <cstdint>

namespace hisbridge {

// Wall-clock time as microseconds since the Unix epoch (UTC): the one integer form every
// receive and update time takes, in the adapters' envelopes and in both stores.
inline std::int64_t unix_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace hisbridge
