#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/store/store.hpp"

namespace hisbridge::store {

struct GroupCommitterOptions {
  // The most messages one append() (one transaction, one fsync) carries.
  std::size_t max_batch = 2048;
  // Passed to Store::append(): how far back a repeated control id counts as a duplicate.
  std::int64_t duplicate_window_us = 10LL * 60 * 1000 * 1000;
};

// Group commit in front of a Store: many connections' messages share one transaction and so
// one fsync, which is what lets a journal that acknowledges only durable messages take tens of
// thousands of messages a second on a disk that does a few thousand fsyncs.
//
// A writer thread owns the store. While it commits one batch, submissions queue up; when the
// commit returns it takes everything queued since (in submission order, at most max_batch per
// append) as the next batch. Nothing waits for a batch to fill: a lone message is committed
// at once, so latency under light load is one commit.
//
// Under load the wait for the disk runs beside the writer (Store::append_unsynced and
// Store::sync): a syncing thread makes every batch committed so far durable with one sync()
// and then runs their dones, while the writer already commits the next batch. So the disk's
// flush and the CPU work of the next batch overlap, and the dones (building ACKs) do not hold
// up a commit. Under light load the writer syncs and answers itself, one hand-off fewer.
class GroupCommitter {
 public:
  // Runs on the syncing or the writer thread, once per submitted message, after the transaction holding the
  // message committed and was made durable (or failed: then the sender must get a negative
  // answer, never an AA; a batch whose sync failed is committed but perhaps not on disk, and
  // a resend is stored as its duplicate). Must be quick and must not throw: post the answer
  // to the caller's own strand. Must not call stop() or destroy the committer.
  using Done = std::function<void(Result<Appended>)>;

  struct Counters {
    std::uint64_t commits = 0;         // successful append_unsynced() calls
    std::uint64_t messages = 0;        // messages in them
    std::uint64_t failed_commits = 0;  // append_unsynced() and sync() calls that failed
    std::uint64_t syncs = 0;           // successful sync() calls
    std::uint64_t last_batch = 0;      // size of the most recent batch, committed or not
  };

  // Takes the store; from here on only the committer's threads call it.
  explicit GroupCommitter(std::unique_ptr<Store> store, GroupCommitterOptions options = {});
  // stop().
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Thread-safe; queues and returns. `done` runs on one of the committer's threads; dones run
  // in submission order. After stop() has begun, `done` runs at once on the caller's thread with
  // StoreError::unavailable.
  void submit(NewMessage message, Done done);

  // Writes status changes (Store::set_statuses) on the writer thread, between two batches of
  // messages, and returns its outcome: with one thread writing both, processing never competes
  // with the appends for the database's write lock (SQLite has one writer at a time, and a
  // waiting connection sleeps). StoreError::unavailable once stop() has begun. Thread-safe;
  // blocks the caller, so never call it from a `done`.
  Result<void> set_statuses(std::span<const StatusUpdate> updates);
  // The same for any other short write on the journal (the delivery queues' outcomes): `work`
  // runs on the writer thread, between two batches, with the committer's store.
  Result<void> write(const std::function<Result<void>(Store&)>& work);

  // Commits everything submitted before the call, runs its dones, then joins the threads.
  // Idempotent; call from any thread but the writer (a `done`).
  void stop();

  Counters counters() const;

 private:
  // A write() call waiting for the writer; lives on the caller's stack.
  struct StatusRequest {
    const std::function<Result<void>(Store&)>* work = nullptr;
    Result<void> result;
    bool done = false;  // guarded by mutex_
  };

  // A batch committed and not yet known to be durable, with the dones it owes.
  struct Committed {
    std::vector<Appended> appended;  // empty when the commit failed
    boost::system::error_code error;
    std::vector<Done> dones;
  };

  void run();
  void write_statuses(std::span<StatusRequest* const> requests);
  void commit(std::span<const NewMessage> batch, std::span<Done> dones, bool last_of_backlog);
  void run_syncer();
  void answer(std::vector<Committed>& batches);

  std::unique_ptr<Store> store_;
  const GroupCommitterOptions options_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<NewMessage> queued_;  // guarded by mutex_
  std::vector<Done> queued_done_;   // guarded by mutex_, parallel to queued_
  std::vector<StatusRequest*> queued_statuses_;  // guarded by mutex_
  std::condition_variable statuses_written_;
  bool stopping_ = false;           // guarded by mutex_
  bool writer_idle_ = false;        // guarded by mutex_: notify only a waiting writer

  std::vector<Committed> committed_;  // guarded by mutex_: for the syncing thread, in order
  bool writer_done_ = false;          // guarded by mutex_: the writer has left, nothing follows
  bool answering_ = false;            // guarded by mutex_: a thread is syncing and running dones
  std::condition_variable sync_wake_;

  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> messages_{0};
  std::atomic<std::uint64_t> failed_commits_{0};
  std::atomic<std::uint64_t> syncs_{0};
  std::atomic<std::uint64_t> last_batch_{0};

  std::mutex join_mutex_;  // serializes concurrent stop() calls
  std::thread syncer_;     // these two last: they start once everything above exists
  std::thread writer_;
};

}  // namespace hisbridge::store
