#include "adapters/net/log_throttle.hpp"

namespace hisbridge::net {

LogThrottle::LogThrottle(Clock::duration interval, std::size_t capacity)
    : interval_(interval), capacity_(capacity) {}

std::optional<std::uint64_t> LogThrottle::allow(const IpAddress& address, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (const auto it = entries_.find(address); it != entries_.end()) {
    Entry& entry = it->second;
    if (now - entry.logged < interval_) {
      ++entry.suppressed;
      return std::nullopt;
    }
    const std::uint64_t suppressed = entry.suppressed;
    entry = Entry{now, 0};
    return suppressed;
  }
  if (entries_.size() >= capacity_) {
    forget_older_than(now - interval_);
    if (entries_.size() >= capacity_) {
      return std::nullopt;  // a flood from many addresses: the counters tell its size
    }
  }
  entries_.emplace(address, Entry{now, 0});
  return 0;
}

// Only when the map is full, so the sweep's cost is spread over `capacity_` insertions.
void LogThrottle::forget_older_than(Clock::time_point cutoff) {
  std::erase_if(entries_, [&](const auto& item) { return item.second.logged <= cutoff; });
}

}  // namespace hisbridge::net
