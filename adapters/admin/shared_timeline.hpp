#pragma once

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "engine/timeline/timeline_store.hpp"

namespace hisbridge::admin {

// The admin side's own connection to the turnaround timeline, shared by the turnaround API and
// the overdue gauge. A TimelineStore takes calls from one thread at a time; with() serializes
// them.
class SharedTimeline {
 public:
  explicit SharedTimeline(std::unique_ptr<timeline::TimelineStore> timeline)
      : timeline_(std::move(timeline)) {}

  // Runs `f(timeline)` under the lock and returns what it returns.
  template <class F>
  auto with(F&& f) {
    const std::lock_guard lock(mutex_);
    return std::forward<F>(f)(*timeline_);
  }

  // Fixed at open: read without the lock.
  const std::vector<timeline::IntervalDefinition>& definitions() const {
    return timeline_->definitions();
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<timeline::TimelineStore> timeline_;
};

}  // namespace hisbridge::admin
