#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/result.hpp"
#include "engine/timeline/timeline_store.hpp"

namespace hisbridge::timeline {

// Marks the timeline's inbox did not take (its database failing for a while: a full disk, a
// server restarting), kept in memory and handed again, ahead of newer ones, with the next
// enqueue or retry: a passing failure delays turnaround figures instead of losing them.
// Recording is idempotent, so a mark handed twice counts once. Bounded: past `capacity` the
// oldest held marks are dropped (and counted). Logs the changes only (holding begins, marks
// given up, the held marks taken at last), not every failed try. Not thread-safe: one per
// caller.
class MarkBacklog {
 public:
  // `who` and `what` name the caller and its marks in the log: "router", "timeline marks".
  MarkBacklog(std::string who, std::string what, std::size_t capacity = 50'000)
      : who_(std::move(who)), what_(std::move(what)), capacity_(capacity) {}

  // Enqueues the held marks and then `fresh` in one call. On failure holds them all (up to
  // the capacity) and returns the store's error.
  Result<void> enqueue(TimelineStore& store, std::span<const Mark> fresh);
  // The held marks again; success when none are held.
  Result<void> retry(TimelineStore& store) { return enqueue(store, {}); }

  // Thread-safe (for metrics); the rest is not.
  std::size_t held() const { return held_count_.load(std::memory_order_relaxed); }
  // Marks given up since the start: held when the backlog was full.
  std::uint64_t dropped() const { return dropped_; }

 private:
  const std::string who_;
  const std::string what_;
  const std::size_t capacity_;
  std::vector<Mark> held_;
  std::atomic<std::size_t> held_count_{0};  // held_.size(), for held()
  std::uint64_t dropped_ = 0;
};

}  // namespace hisbridge::timeline
