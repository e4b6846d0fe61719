#include "engine/timeline/mark_backlog.hpp"

#include <spdlog/spdlog.h>

#include <iterator>

namespace hisbridge::timeline {

Result<void> MarkBacklog::enqueue(TimelineStore& store, std::span<const Mark> fresh) {
  if (held_.empty() && fresh.empty()) {
    return {};
  }
  // The fresh marks go after the held ones; with none held they are handed as they are.
  const std::size_t held_before = held_.size();
  if (held_before > 0) {
    held_.insert(held_.end(), fresh.begin(), fresh.end());
  }
  auto enqueued = held_before > 0 ? store.enqueue(held_) : store.enqueue(fresh);
  if (enqueued) {
    if (held_before > 0) {
      spdlog::info("{}: the timeline took the {} held {}", who_, held_before, what_);
    }
    held_.clear();
    held_count_.store(0, std::memory_order_relaxed);
    return enqueued;
  }
  if (held_before == 0) {
    spdlog::error("{}: handing {} {} to the timeline failed: {} (delivery goes on; they are "
                  "held and handed again)",
                  who_, fresh.size(), what_, enqueued.error().message());
    held_.assign(fresh.begin(), fresh.end());
  }
  if (held_.size() > capacity_) {
    const std::size_t over = held_.size() - capacity_;
    held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(over));
    dropped_ += over;
    spdlog::error("{}: {} held {} given up, the oldest (at most {} are held): the turnaround "
                  "figures miss them",
                  who_, over, what_, capacity_);
  }
  held_count_.store(held_.size(), std::memory_order_relaxed);
  return enqueued;
}

}  // namespace hisbridge::timeline
