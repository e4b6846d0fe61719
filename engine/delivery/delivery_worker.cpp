#include "engine/delivery/delivery_worker.hpp"

#include <pthread.h>

#include <spdlog/spdlog.h>

#include "engine/core/clock.hpp"
#include "engine/delivery/retry_delay.hpp"
#include "engine/hl7/read_message.hpp"
#include "engine/router/channel_output.hpp"
#include "engine/timeline/marks.hpp"

namespace hisbridge::delivery {
namespace {

using Clock = std::chrono::steady_clock;

// After a journal read or write failed: the pause before the worker tries again.
constexpr std::chrono::seconds kStoreRetry{1};

}  // namespace

// What one round did, written at its end.
struct DeliveryWorker::Round {
  std::vector<store::DeliveryUpdate> updates;
  std::vector<timeline::Mark> marks;
  bool retried = false;
  bool delivered_any = false;
};

DeliveryWorker::DeliveryWorker(Setup setup)
    : setup_(std::move(setup)),
      random_(std::random_device{}()),
      counters_(setup_.counters != nullptr ? setup_.counters : &own_counters_) {}

DeliveryWorker::~DeliveryWorker() { stop(); }

void DeliveryWorker::start() {
  thread_ = std::thread([this] { run(); });
}

void DeliveryWorker::notify(std::size_t entries) {
  counters_->pending.fetch_add(static_cast<std::int64_t>(entries), std::memory_order_relaxed);
  {
    const std::lock_guard lock(mutex_);
    work_ = true;
  }
  wake_.notify_one();
}

void DeliveryWorker::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
}

bool DeliveryWorker::wait(Clock::time_point until) {
  std::unique_lock lock(mutex_);
  wake_.wait_until(lock, until, [this] { return work_ || stopping_; });
  work_ = false;
  return !stopping_;
}

void DeliveryWorker::run() {
  pthread_setname_np(pthread_self(), "hb-deliver");  // for top -H and perf
  for (;;) {
    {
      const std::lock_guard lock(mutex_);
      if (stopping_) {
        return;
      }
    }
    if (Clock::now() >= next_depth_read_) {
      refresh_depth();
    }
    const std::chrono::milliseconds next = deliver_round();
    counters_->backing_off.store(failing_rounds_ > 0, std::memory_order_relaxed);
    if (next.count() == 0) {
      continue;
    }
    if (failing_rounds_ > 0) {
      // A pause after failed attempts is not cut short by new entries: they would fail too.
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, next, [this] { return stopping_; });
      continue;
    }
    if (!wait(Clock::now() + next)) {
      return;
    }
  }
}

void DeliveryWorker::refresh_depth() {
  next_depth_read_ = Clock::now() + setup_.options.poll;
  auto depths = setup_.reader->queue_depths();
  if (!depths) {
    spdlog::warn("delivery {}: reading the queue's depth failed: {}", setup_.queue,
                 depths.error().message());
    return;
  }
  store::QueueDepth mine{setup_.queue};
  for (const store::QueueDepth& d : *depths) {
    if (d.queue == setup_.queue) {
      mine = d;
    }
  }
  counters_->pending.store(mine.pending, std::memory_order_relaxed);
  counters_->dead.store(mine.dead, std::memory_order_relaxed);
  counters_->oldest_pending_us.store(mine.oldest_pending_us, std::memory_order_relaxed);
}

std::chrono::milliseconds DeliveryWorker::deliver_round() {
  auto due = setup_.reader->due_deliveries(setup_.queue, unix_now_us(), setup_.options.batch);
  if (!due) {
    spdlog::error("delivery {}: reading the queue failed: {}", setup_.queue,
                  due.error().message());
    return kStoreRetry;
  }
  if (due->empty()) {
    return setup_.options.poll;
  }
  Round round;
  for (const store::QueuedDelivery& entry : *due) {
    {
      const std::lock_guard lock(mutex_);
      if (stopping_) {
        break;
      }
    }
    deliver_one(entry, round);
    if (round.retried) {
      break;  // the rest waits for the next round, which due_deliveries() orders again
    }
  }
  write_round(round);
  if (!round.retried || round.delivered_any) {
    failing_rounds_ = 0;
    return round.retried ? setup_.options.poll : std::chrono::milliseconds(0);
  }
  ++failing_rounds_;
  return retry_delay(setup_.retry, failing_rounds_, random_);
}

void DeliveryWorker::deliver_one(const store::QueuedDelivery& entry, Round& round) {
  auto stored = setup_.reader->get(entry.message_id);
  if (!stored) {
    if (stored.error() == store::StoreError::not_found) {
      finish(entry, router::Delivery::failed("the message is no longer in the journal"), round);
    } else {
      spdlog::error("delivery {}: reading message {} failed: {}", setup_.queue,
                    entry.message_id, stored.error().message());
      round.retried = true;  // the journal's trouble, not the entry's: no attempt counted
    }
    return;
  }
  auto message = hl7::read_message(stored->message.raw, setup_.charset);
  const hl7::Message* read = message ? &*message : nullptr;
  std::string failure;
  if (!router::channel_output(setup_.channel, *stored, read, output_, failure)) {
    finish(entry,
           failure.empty() ? router::Delivery::retry("the channel's mapping is not loaded")
                           : router::Delivery::failed(failure),
           round);
    return;
  }
  finish(entry, setup_.destination->deliver({*stored, read, output_}), round);
  if (setup_.marks && !round.updates.empty() &&
      round.updates.back().state == store::DeliveryState::delivered) {
    const std::int64_t now = unix_now_us();
    round.marks.push_back(
        timeline::message_mark(entry.message_id, timeline::kAccepted,
                               stored->message.received_at_us));
    round.marks.push_back(timeline::message_mark(entry.message_id, timeline::kDelivered, now));
  }
}

void DeliveryWorker::finish(const store::QueuedDelivery& entry, router::Delivery outcome,
                            Round& round) {
  store::DeliveryUpdate update{entry.id, store::DeliveryState::delivered, entry.attempts, 0, {}};
  switch (outcome.outcome) {
    case router::Delivery::Outcome::delivered:
      counters_->delivered.fetch_add(1, std::memory_order_relaxed);
      round.delivered_any = true;
      break;
    case router::Delivery::Outcome::failed:
      update.state = store::DeliveryState::dead;
      update.last_error = std::move(outcome.reason);
      counters_->failed.fetch_add(1, std::memory_order_relaxed);
      spdlog::error("delivery {}: message {} is a dead letter: {}", setup_.queue,
                    entry.message_id, update.last_error);
      break;
    case router::Delivery::Outcome::retry: {
      counters_->retries.fetch_add(1, std::memory_order_relaxed);
      update.attempts = entry.attempts + 1;
      update.last_error = std::move(outcome.reason);
      if (static_cast<std::size_t>(update.attempts) >= setup_.retry.max_attempts) {
        update.state = store::DeliveryState::dead;
        counters_->failed.fetch_add(1, std::memory_order_relaxed);
        spdlog::error("delivery {}: message {} is a dead letter after {} attempts: {}",
                      setup_.queue, entry.message_id, update.attempts, update.last_error);
        break;
      }
      update.state = store::DeliveryState::pending;
      const auto delay = retry_delay(setup_.retry, update.attempts, random_);
      update.next_attempt_us =
          unix_now_us() + std::chrono::duration_cast<std::chrono::microseconds>(delay).count();
      spdlog::warn("delivery {}: message {} will be tried again in {} ms (attempt {}): {}",
                   setup_.queue, entry.message_id, delay.count(), update.attempts,
                   update.last_error);
      round.retried = true;
      break;
    }
  }
  round.updates.push_back(std::move(update));
}

// The marks are handed over before the outcomes are written (as the router hands its events
// over before the statuses): once an entry shows delivered, its marks are in the timeline's
// inbox. A failed write leaves the entries pending; they are delivered, and marked, again
// later, which the timeline absorbs (a message's first `delivered` mark stands).
void DeliveryWorker::write_round(Round& round) {
  if (round.updates.empty()) {
    return;
  }
  if (setup_.marks && !round.marks.empty()) {
    setup_.marks(round.marks);
  }
  if (auto written = setup_.write(round.updates); !written) {
    spdlog::error("delivery {}: writing {} outcomes failed: {} (those entries are delivered "
                  "again)",
                  setup_.queue, round.updates.size(), written.error().message());
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, kStoreRetry, [this] { return stopping_; });
    return;
  }
  std::int64_t done = 0;
  std::int64_t dead = 0;
  for (const store::DeliveryUpdate& u : round.updates) {
    done += u.state != store::DeliveryState::pending ? 1 : 0;
    dead += u.state == store::DeliveryState::dead ? 1 : 0;
  }
  const std::int64_t left =
      counters_->pending.fetch_sub(done, std::memory_order_relaxed) - done;
  if (left < 0) {
    counters_->pending.store(0, std::memory_order_relaxed);
  }
  counters_->dead.fetch_add(dead, std::memory_order_relaxed);
}

}  // namespace hisbridge::delivery
