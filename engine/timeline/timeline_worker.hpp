#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>

#include "engine/timeline/timeline_store.hpp"

namespace hisbridge::timeline {

// Records what the router hands to the timeline's inbox (TimelineStore::enqueue), on a thread
// of its own and its own connection, so that the ingest path pays for one row per batch and
// not for the timeline's reads and writes. It drains whenever notified, every `poll` besides
// (rows left by an earlier run, or enqueued by another engine node on the same PostgreSQL),
// and once more when stopped. A failing drain leaves the rows where they are, is logged and
// counted, and is tried again after `retry`.
class TimelineWorker {
 public:
  struct Options {
    std::size_t rows_per_drain = 64;
    // A full router batch (256 messages, ~2,000 marks) is one drain, as a drain always takes a
    // row; at light load several small batches share one.
    std::size_t marks_per_drain = 1024;
    std::chrono::milliseconds poll{1000};
    std::chrono::milliseconds retry{1000};
  };
  using OnRecorded = std::function<void(std::span<const RecordedInterval>)>;

  // `on_recorded` is called on the worker's thread with every drain's completed and changed
  // intervals (the turnaround histogram); it must be quick and must not throw.
  TimelineWorker(std::unique_ptr<TimelineStore> store, OnRecorded on_recorded, Options options);
  TimelineWorker(std::unique_ptr<TimelineStore> store, OnRecorded on_recorded)
      : TimelineWorker(std::move(store), std::move(on_recorded), Options{}) {}
  ~TimelineWorker();
  TimelineWorker(const TimelineWorker&) = delete;
  TimelineWorker& operator=(const TimelineWorker&) = delete;

  // `hook` runs on the worker's thread before each drain: when notified, at each poll and at
  // each retry. A part that holds marks its inbox refused (MarkBacklog) hands them again
  // there, so they reach the timeline within a poll even when nothing new comes. Call before
  // start(); it must be quick and must not throw.
  void set_before_drain(std::function<void()> hook) { before_drain_ = std::move(hook); }

  void start();
  // Rows were enqueued: drain soon. Any thread.
  void notify();
  // Drains what is there (until the inbox is empty or a drain fails) and ends the thread.
  void stop();

  // True once a drain has found the inbox empty and nothing was enqueued since: every mark
  // handed over so far is in the timeline tables.
  bool caught_up() const;
  // Batches notified and not yet recorded: 0 exactly when caught_up(), else at least 1 (rows an
  // earlier run left are not known until drained).
  std::uint64_t backlog() const;

  std::uint64_t rows_recorded() const { return rows_.load(std::memory_order_relaxed); }
  std::uint64_t marks_recorded() const { return marks_.load(std::memory_order_relaxed); }
  // Failed drains, and rows dropped because they did not decode.
  std::uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }
  std::uint64_t unreadable_rows() const { return unreadable_.load(std::memory_order_relaxed); }

 private:
  void run();
  bool caught_up_locked() const;  // with mutex_ held
  // Drains until the inbox is empty; false when a drain failed.
  bool drain_all();

  std::unique_ptr<TimelineStore> store_;
  OnRecorded on_recorded_;
  std::function<void()> before_drain_;
  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::uint64_t notified_ = 0;  // notify() calls, under mutex_
  std::uint64_t drained_to_ = 0;  // notified_ as of the last drain that found the inbox empty
  bool ever_empty_ = false;       // under mutex_
  std::atomic<std::uint64_t> rows_{0};
  std::atomic<std::uint64_t> marks_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> unreadable_{0};
  std::thread thread_;
};

}  // namespace hisbridge::timeline
