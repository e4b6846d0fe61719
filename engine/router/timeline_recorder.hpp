#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "engine/mapping/record.hpp"
#include "engine/timeline/mark_backlog.hpp"
#include "engine/timeline/timeline_store.hpp"

namespace hisbridge::router {

// What the router hands to the turnaround timeline. Optional: without a store the router
// records nothing.
struct RouterTimeline {
  // The router's own connection (a TimelineStore takes calls from one thread at a time).
  std::unique_ptr<timeline::TimelineStore> store;
  // Called on the router's thread after each batch's marks are in the inbox (the timeline
  // worker's notify()). Must be quick and must not throw.
  std::function<void()> on_enqueued;
};

// The marks of one batch of messages, gathered message by message and handed to the
// timeline's inbox in one TimelineStore::enqueue() call before the batch's statuses are
// written; the timeline worker records them. A crash in between processes the batch again and
// enqueues its marks a second time, and recording is idempotent, so nothing counts twice.
//
// A message's marks join the batch only once the message has an outcome; those of a message
// put off by a retry are dropped (it is processed, and its marks gathered, again later).
// Marks the inbox does not take (its database failing for a while) are held and handed again
// with the next batch or retry_held(): delivery goes on meanwhile, and the turnaround
// figures come late rather than never (timeline::MarkBacklog).
// Used on the router's thread only.
class TimelineRecorder {
 public:
  explicit TimelineRecorder(RouterTimeline timeline);

  bool enabled() const { return store_ != nullptr; }

  void begin_batch();
  void begin_message();
  // A channel's mapping succeeded: its events become marks (those whose time
  // cannot be read are left out and counted in skipped_events()).
  void add_events(std::span<const mapping::ClinicalEvent> events);
  // The message has no outcome yet (a mapping was not loaded): its marks are dropped.
  void drop_message();
  // Enqueues the marks held from earlier failures and the batch's; false when the timeline
  // failed (the marks are held; the backlog logs it).
  bool enqueue_batch();
  // Hands the held marks again; true when none are left held.
  bool retry_held();
  std::size_t held_marks() const { return backlog_.held(); }

  std::size_t batch_marks() const { return marks_.size(); }
  // Events of the batch's messages left out because their time could not be read.
  std::size_t skipped_events() const { return skipped_; }

 private:
  std::unique_ptr<timeline::TimelineStore> store_;
  std::function<void()> on_enqueued_;
  std::vector<timeline::Mark> marks_;  // the batch's, reused from batch to batch
  timeline::MarkBacklog backlog_;      // marks the inbox did not take yet
  std::size_t message_start_ = 0;      // where the message in hand's marks begin
  std::size_t skipped_ = 0;            // of the batch
  std::size_t message_skipped_ = 0;    // skipped_ when the message in hand began
};

}  // namespace hisbridge::router
