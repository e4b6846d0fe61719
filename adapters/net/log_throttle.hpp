#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "adapters/net/address_range.hpp"

namespace hisbridge::net {

// At most one log line per address and interval, for refusals: a sender retrying a refused
// connection in a tight loop (or a flood) must not flood the log. The counters count every
// refusal; the log says the first of each interval and how many it kept quiet about.
// Thread-safe. The clock is the caller's (tests pass their own time points).
class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  // Remembers at most `capacity` addresses; when that many were logged within one interval,
  // further new addresses are not logged until the oldest age out (the counters still count).
  explicit LogThrottle(Clock::duration interval = std::chrono::minutes(1),
                       std::size_t capacity = 4096);

  // When a line about `address` may be logged at `now`: the number of events about it kept
  // quiet since the last line (0 the first time). nullopt: stay quiet (and count this one).
  std::optional<std::uint64_t> allow(const IpAddress& address, Clock::time_point now);

 private:
  struct Entry {
    Clock::time_point logged;
    std::uint64_t suppressed = 0;
  };
  void forget_older_than(Clock::time_point cutoff);

  const Clock::duration interval_;
  const std::size_t capacity_;
  std::mutex mutex_;
  std::unordered_map<IpAddress, Entry, IpAddressHash> entries_;
};

}  // namespace hisbridge::net
