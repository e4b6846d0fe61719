#include "engine/store/group_committer.hpp"

#include <algorithm>
#include <utility>

namespace hisbridge::store {

GroupCommitter::GroupCommitter(std::unique_ptr<Store> store, GroupCommitterOptions options)
    : store_(std::move(store)), options_(options), writer_([this] { run(); }) {}

GroupCommitter::~GroupCommitter() { stop(); }

void GroupCommitter::submit(NewMessage message, Done done) {
  std::unique_lock lock(mutex_);
  if (stopping_) {
    lock.unlock();
    done(make_error_code(StoreError::unavailable));
    return;
  }
  queued_.push_back(std::move(message));
  queued_done_.push_back(std::move(done));
  const bool wake = writer_idle_;
  writer_idle_ = false;
  lock.unlock();
  if (wake) {
    wake_.notify_one();
  }
}

Result<void> GroupCommitter::set_statuses(std::span<const StatusUpdate> updates) {
  if (updates.empty()) {
    return {};
  }
  StatusRequest request{updates, {}, false};
  std::unique_lock lock(mutex_);
  if (stopping_) {
    return StoreError::unavailable;
  }
  queued_statuses_.push_back(&request);
  const bool wake = writer_idle_;
  writer_idle_ = false;
  if (wake) {
    wake_.notify_one();
  }
  statuses_written_.wait(lock, [&] { return request.done; });
  return request.result;
}

void GroupCommitter::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  const std::lock_guard join(join_mutex_);
  if (writer_.joinable()) {
    writer_.join();
  }
}

GroupCommitter::Counters GroupCommitter::counters() const {
  return Counters{commits_.load(std::memory_order_relaxed),
                  messages_.load(std::memory_order_relaxed),
                  failed_commits_.load(std::memory_order_relaxed),
                  last_batch_.load(std::memory_order_relaxed)};
}

// Swaps the whole queue out under the lock and commits it in chunks of max_batch straight
// from the swapped-out vectors: no copies, and the vectors' capacity goes back and forth
// between the queue and the writer instead of being allocated again.
void GroupCommitter::run() {
  const std::size_t max_batch = std::max<std::size_t>(options_.max_batch, 1);
  std::vector<NewMessage> backlog;
  std::vector<Done> backlog_done;
  std::vector<StatusRequest*> statuses;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      while (queued_.empty() && queued_statuses_.empty() && !stopping_) {
        writer_idle_ = true;
        wake_.wait(lock);
      }
      writer_idle_ = false;
      if (queued_.empty() && queued_statuses_.empty()) {
        return;  // stopping, and everything submitted has been answered
      }
      std::swap(backlog, queued_);
      std::swap(backlog_done, queued_done_);
      std::swap(statuses, queued_statuses_);
    }
    // Status changes first: they are not forced to disk on their own, and the append that
    // follows makes them durable with its own fsync.
    if (!statuses.empty()) {
      write_statuses(statuses);
      statuses.clear();
    }
    const std::span<const NewMessage> all(backlog);
    const std::span<Done> all_done(backlog_done);
    for (std::size_t at = 0; at < all.size(); at += max_batch) {
      const std::size_t n = std::min(max_batch, all.size() - at);
      commit(all.subspan(at, n), all_done.subspan(at, n));
    }
    backlog.clear();
    backlog_done.clear();
  }
}

void GroupCommitter::write_statuses(std::span<StatusRequest* const> requests) {
  for (StatusRequest* r : requests) {
    r->result = store_->set_statuses(r->updates);
  }
  {
    const std::lock_guard lock(mutex_);
    for (StatusRequest* r : requests) {
      r->done = true;
    }
  }
  statuses_written_.notify_all();
}

void GroupCommitter::commit(std::span<const NewMessage> batch, std::span<Done> dones) {
  last_batch_.store(batch.size(), std::memory_order_relaxed);
  auto appended = store_->append(batch, options_.duplicate_window_us);
  if (!appended || appended->size() != batch.size()) {
    failed_commits_.fetch_add(1, std::memory_order_relaxed);
    const auto error = appended ? make_error_code(StoreError::io) : appended.error();
    for (Done& done : dones) {
      done(error);
    }
    return;
  }
  commits_.fetch_add(1, std::memory_order_relaxed);
  messages_.fetch_add(batch.size(), std::memory_order_relaxed);
  for (std::size_t i = 0; i < dones.size(); ++i) {
    dones[i]((*appended)[i]);
  }
}

}  // namespace hisbridge::store
