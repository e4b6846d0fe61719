#include "engine/store/group_committer.hpp"

#include <pthread.h>

#include <algorithm>
#include <utility>

namespace hisbridge::store {

GroupCommitter::GroupCommitter(std::unique_ptr<Store> store, GroupCommitterOptions options)
    : store_(std::move(store)),
      options_(options),
      syncer_([this] { run_syncer(); }),
      writer_([this] { run(); }) {}

GroupCommitter::~GroupCommitter() { stop(); }

void GroupCommitter::submit(NewMessage message, Done done) {
  store_->prepare(message);  // on the submitting thread: see Store::prepare
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
  return write([updates](Store& store) { return store.set_statuses(updates); });
}

Result<void> GroupCommitter::write(const std::function<Result<void>(Store&)>& work) {
  StatusRequest request{&work, {}, false};
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
  if (syncer_.joinable()) {
    syncer_.join();
  }
}

GroupCommitter::Counters GroupCommitter::counters() const {
  return Counters{commits_.load(std::memory_order_relaxed),
                  messages_.load(std::memory_order_relaxed),
                  failed_commits_.load(std::memory_order_relaxed),
                  syncs_.load(std::memory_order_relaxed),
                  last_batch_.load(std::memory_order_relaxed)};
}

// Swaps the whole queue out under the lock and commits it in chunks of max_batch straight
// from the swapped-out vectors: no copies, and the vectors' capacity goes back and forth
// between the queue and the writer instead of being allocated again.
void GroupCommitter::run() {
  pthread_setname_np(pthread_self(), "hb-commit");  // for top -H and perf
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
        writer_done_ = true;  // stopping, and everything submitted is committed
        sync_wake_.notify_one();
        return;
      }
      std::swap(backlog, queued_);
      std::swap(backlog_done, queued_done_);
      std::swap(statuses, queued_statuses_);
    }
    // Status changes first: they are not forced to disk on their own, and the sync that
    // follows the next batch makes them durable with it.
    if (!statuses.empty()) {
      write_statuses(statuses);
      statuses.clear();
    }
    const std::span<const NewMessage> all(backlog);
    const std::span<Done> all_done(backlog_done);
    for (std::size_t at = 0; at < all.size(); at += max_batch) {
      const std::size_t n = std::min(max_batch, all.size() - at);
      commit(all.subspan(at, n), all_done.subspan(at, n), at + n == all.size());
    }
    backlog.clear();
    backlog_done.clear();
  }
}

void GroupCommitter::write_statuses(std::span<StatusRequest* const> requests) {
  for (StatusRequest* r : requests) {
    r->result = (*r->work)(*store_);
  }
  {
    const std::lock_guard lock(mutex_);
    for (StatusRequest* r : requests) {
      r->done = true;
    }
  }
  statuses_written_.notify_all();
}

// Commits without waiting for the disk. With more work waiting, the batch goes to the syncing
// thread, so its sync overlaps the next commit; with nothing waiting (light load) and nothing
// left to answer, the writer syncs and answers it itself, which saves the sender a thread
// hand-off. Either way every batch's dones run after those of the batches before it.
void GroupCommitter::commit(std::span<const NewMessage> batch, std::span<Done> dones,
                            bool last_of_backlog) {
  last_batch_.store(batch.size(), std::memory_order_relaxed);
  std::vector<Committed> c(1);
  auto appended = store_->append_unsynced(batch, options_.duplicate_window_us);
  if (!appended || appended->size() != batch.size()) {
    failed_commits_.fetch_add(1, std::memory_order_relaxed);
    c[0].error = appended ? make_error_code(StoreError::io) : appended.error();
  } else {
    commits_.fetch_add(1, std::memory_order_relaxed);
    messages_.fetch_add(batch.size(), std::memory_order_relaxed);
    c[0].appended = std::move(*appended);
  }
  c[0].dones.assign(std::make_move_iterator(dones.begin()),
                    std::make_move_iterator(dones.end()));
  {
    std::unique_lock lock(mutex_);
    const bool inline_answer =
        last_of_backlog && queued_.empty() && committed_.empty() && !answering_;
    if (!inline_answer) {
      committed_.push_back(std::move(c[0]));
      lock.unlock();
      sync_wake_.notify_one();
      return;
    }
    answering_ = true;
  }
  answer(c);
  const std::lock_guard lock(mutex_);
  answering_ = false;
}

// One sync() covers every batch committed before it began: while it waits for the disk, the
// writer commits the next batches, and the sync after takes them all.
void GroupCommitter::run_syncer() {
  pthread_setname_np(pthread_self(), "hb-sync");
  std::vector<Committed> batches;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      sync_wake_.wait(lock, [&] {
        return (!committed_.empty() && !answering_) || (committed_.empty() && writer_done_);
      });
      if (committed_.empty()) {
        return;  // the writer has left and every batch is answered
      }
      std::swap(batches, committed_);
      answering_ = true;
    }
    answer(batches);
    batches.clear();
    const std::lock_guard lock(mutex_);
    answering_ = false;
  }
}

void GroupCommitter::answer(std::vector<Committed>& batches) {
  const bool any_committed = std::any_of(batches.begin(), batches.end(),
                                         [](const Committed& c) { return !c.error; });
  Result<void> synced;
  if (any_committed) {
    synced = store_->sync();
    (synced ? syncs_ : failed_commits_).fetch_add(1, std::memory_order_relaxed);
  }
  for (Committed& c : batches) {
    for (std::size_t i = 0; i < c.dones.size(); ++i) {
      if (c.error) {
        c.dones[i](c.error);
      } else if (!synced) {
        c.dones[i](synced.error());
      } else {
        c.dones[i](c.appended[i]);
      }
    }
  }
}

}  // namespace hisbridge::store
