#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace hisbridge {

// At most one log line per key and interval: a peer retrying a refused connection in a tight
// loop, or a disk that fails every commit while it is full, must not flood the log (which may
// be on that disk). The counters count every event; the log says the first of each interval
// and how many it kept quiet about. Thread-safe. The clock is the caller's (tests pass their
// own time points).
template <class Key, class Hash = std::hash<Key>>
class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  // Remembers at most `capacity` keys; when that many were logged within one interval,
  // further new keys are not logged until the oldest age out (the counters still count).
  explicit LogThrottle(Clock::duration interval = std::chrono::minutes(1),
                       std::size_t capacity = 4096)
      : interval_(interval), capacity_(capacity) {}

  // When a line about `key` may be logged at `now`: the number of events about it kept quiet
  // since the last line (0 the first time). nullopt: stay quiet (and count this one).
  std::optional<std::uint64_t> allow(const Key& key, Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    if (const auto it = entries_.find(key); it != entries_.end()) {
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
      // Only when the map is full, so the sweep's cost is spread over `capacity_` insertions.
      std::erase_if(entries_,
                    [&](const auto& item) { return item.second.logged <= now - interval_; });
      if (entries_.size() >= capacity_) {
        return std::nullopt;  // a flood of many keys: the counters tell its size
      }
    }
    entries_.emplace(key, Entry{now, 0});
    return 0;
  }

 private:
  struct Entry {
    Clock::time_point logged;
    std::uint64_t suppressed = 0;
  };

  const Clock::duration interval_;
  const std::size_t capacity_;
  std::mutex mutex_;
  std::unordered_map<Key, Entry, Hash> entries_;
};

}  // namespace hisbridge
