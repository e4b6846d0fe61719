#include "engine/router/timeline_recorder.hpp"

#include "engine/timeline/marks.hpp"

namespace hisbridge::router {

TimelineRecorder::TimelineRecorder(RouterTimeline timeline)
    : store_(std::move(timeline.store)),
      on_enqueued_(std::move(timeline.on_enqueued)),
      backlog_("router", "timeline marks") {}

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
  if (!store_ || (marks_.empty() && backlog_.held() == 0)) {
    return true;
  }
  if (!backlog_.enqueue(*store_, marks_)) {
    return false;  // logged by the backlog, which holds the marks
  }
  if (on_enqueued_) {
    on_enqueued_();
  }
  return true;
}

bool TimelineRecorder::retry_held() {
  if (!store_ || backlog_.held() == 0) {
    return true;
  }
  marks_.clear();
  return enqueue_batch();
}

}  // namespace hisbridge::router
