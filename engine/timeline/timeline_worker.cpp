#include "engine/timeline/timeline_worker.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

namespace hisbridge::timeline {
namespace {

// Relative to the engine's other threads (0): the scheduler gives this one about a tenth of
// the share of a thread at 0 when both want the CPU, and all of an idle CPU.
constexpr int kNice = 10;

}  // namespace

TimelineWorker::TimelineWorker(std::unique_ptr<TimelineStore> store, OnRecorded on_recorded,
                               Options options)
    : store_(std::move(store)), on_recorded_(std::move(on_recorded)), options_(options) {}

TimelineWorker::~TimelineWorker() { stop(); }

void TimelineWorker::start() {
  if (thread_.joinable()) {
    return;
  }
  {
    const std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "hb-timeline");
    // Behind ingest and delivery for the CPU: on a busy machine the figures may lag a little,
    // the ACKs and the HIS records do not wait for them. (Linux: nice applies per thread.)
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kNice) != 0) {
      spdlog::debug("timeline: could not lower the worker's priority");
    }
    run();
  });
}

void TimelineWorker::notify() {
  {
    const std::lock_guard lock(mutex_);
    ++notified_;
  }
  wake_.notify_one();
}

void TimelineWorker::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
}

bool TimelineWorker::caught_up_locked() const { return ever_empty_ && drained_to_ == notified_; }

bool TimelineWorker::caught_up() const {
  const std::lock_guard lock(mutex_);
  return caught_up_locked();
}

std::uint64_t TimelineWorker::backlog() const {
  const std::lock_guard lock(mutex_);
  if (caught_up_locked()) {
    return 0;
  }
  const std::uint64_t rows = rows_.load(std::memory_order_relaxed);
  return notified_ > rows ? notified_ - rows : 1;
}

bool TimelineWorker::drain_all() {
  for (;;) {
    std::uint64_t notified = 0;
    {
      const std::lock_guard lock(mutex_);
      notified = notified_;
    }
    auto drained = store_->drain(options_.rows_per_drain, options_.marks_per_drain);
    if (!drained) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      spdlog::error("timeline: recording the inbox failed: {} (the marks stay in the inbox and "
                    "are recorded at the next try)",
                    drained.error().message());
      return false;
    }
    // Intervals recorded are counted even when their rows stay in the inbox: draining those
    // again finds them stored and returns none. The rows and marks count when they leave it.
    if (on_recorded_ && !drained->recorded.empty()) {
      on_recorded_(drained->recorded);
    }
    if (drained->inbox_kept) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      spdlog::error("timeline: {} inbox rows were recorded but stay in the inbox: {} (they are "
                    "drained again at the next try, which changes nothing)",
                    drained->rows, *drained->inbox_kept);
      return false;
    }
    rows_.fetch_add(drained->rows, std::memory_order_relaxed);
    marks_.fetch_add(drained->marks, std::memory_order_relaxed);
    if (drained->unreadable > 0) {
      errors_.fetch_add(drained->unreadable, std::memory_order_relaxed);
      unreadable_.fetch_add(drained->unreadable, std::memory_order_relaxed);
    }
    if (drained->rows == 0) {
      // Whatever was notified before this drain began is in the tables now.
      const std::lock_guard lock(mutex_);
      drained_to_ = notified;
      ever_empty_ = true;
      return true;
    }
  }
}

void TimelineWorker::run() {
  std::unique_lock lock(mutex_);
  std::chrono::milliseconds wait{0};  // drain at once: rows an earlier run left
  for (;;) {
    wake_.wait_for(lock, wait, [this] { return stopping_ || notified_ != drained_to_; });
    const bool last = stopping_;
    lock.unlock();
    if (before_drain_) {
      before_drain_();
    }
    const bool ok = drain_all();
    lock.lock();
    if (last) {
      return;
    }
    wait = ok ? options_.poll : options_.retry;
    if (!ok) {
      // Not at once again, even when notified: the store is failing.
      wake_.wait_for(lock, options_.retry, [this] { return stopping_; });
    }
  }
}

}  // namespace hisbridge::timeline
