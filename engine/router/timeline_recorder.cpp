#include "engine/router/timeline_recorder.hpp"

#include <spdlog/spdlog.h>

#include "engine/timeline/marks.hpp"

namespace hisbridge::router {

TimelineRecorder::TimelineRecorder(RouterTimeline timeline)
    : store_(std::move(timeline.store)), on_enqueued_(std::move(timeline.on_enqueued)) {}

void TimelineRecorder::begin_batch() {
  marks_.clear();  // keeps the capacity: a steady stream allocates no new vector
  message_start_ = 0;
  skipped_ = 0;
}

void TimelineRecorder::begin_message() {
  message_start_ = marks_.size();
  message_skipped_ = skipped_;
}

void TimelineRecorder::add_events(std::span<const mapping::ClinicalEvent> events) {
  if (store_ && !events.empty()) {
    std::size_t skipped = 0;
    timeline::append_marks(events, marks_, skipped);
    skipped_ += skipped;
  }
}

void TimelineRecorder::drop_message() {
  marks_.erase(marks_.begin() + static_cast<std::ptrdiff_t>(message_start_), marks_.end());
  skipped_ = message_skipped_;
}

bool TimelineRecorder::enqueue_batch() {
  if (!store_ || marks_.empty()) {
    return true;
  }
  if (auto enqueued = store_->enqueue(marks_); !enqueued) {
    spdlog::error("router: handing {} timeline marks to the timeline failed: {} (delivery goes "
                  "on; the turnaround figures miss them)",
                  marks_.size(), enqueued.error().message());
    return false;
  }
  if (on_enqueued_) {
    on_enqueued_();
  }
  return true;
}

}  // namespace hisbridge::router
