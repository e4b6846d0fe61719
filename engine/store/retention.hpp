#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/store/store.hpp"

namespace hisbridge::store {

struct PrunerOptions {
  // Messages received longer ago than this are deleted once final; 0: no age rule.
  std::chrono::seconds max_age{0};
  // When the journal's live data (Store::data_bytes()) is over this, the oldest final
  // messages are deleted until it is under kSizeTarget of it; 0: no size rule. With neither
  // rule start() starts no thread.
  std::int64_t max_size_bytes = 0;
  // The size rule never deletes a message younger than this (the duplicate window: a repeat
  // of a deleted message would be stored and processed again).
  std::chrono::seconds min_age{0};
  // Messages per Store::prune() call, i.e. per transaction.
  std::size_t batch = 500;
  // How often the pruner wakes to make a pass.
  std::chrono::milliseconds interval{std::chrono::minutes(1)};
  // The rest between two batches of one pass, so that ingest's commits, which wait for the
  // same write lock (SQLite has one writer), get it between them.
  std::chrono::milliseconds pause{20};
  // Wall-clock time in microseconds since the Unix epoch; a fixed clock in tests.
  std::function<std::int64_t()> now_us;
};

// Retention of the journal: a thread of its own, with its own Store connection (open_store on
// the journal's location), that every `interval` makes a pass. The age rule deletes batch
// after batch of final messages received before now - max_age while the batches come back
// full; then the size rule, when the live data is over max_size, deletes the oldest final
// messages (older than min_age) in batches, as many as the overshoot's share of the messages,
// and measures again, until the data is under kSizeTarget of max_size or nothing more can go.
// Batches rest `pause` between them, so ingest never waits for more than one short batch; a
// store error ends the pass (logged; the next interval tries again). Logs one line per rule
// that deleted something, and a warning when the size rule cannot get under max_size. Never
// message content.
class Pruner {
 public:
  struct Counters {
    std::uint64_t pruned = 0;    // messages deleted since the start
    std::uint64_t passes = 0;    // passes finished, with or without deletions or errors
    std::uint64_t failures = 0;  // passes ended by a store error
  };

  // Takes the store; only the pruner's thread (or run_pass()'s caller) calls it.
  Pruner(std::unique_ptr<Store> store, PrunerOptions options);
  // stop().
  ~Pruner();
  Pruner(const Pruner&) = delete;
  Pruner& operator=(const Pruner&) = delete;

  // The size rule deletes down to this share of max_size, so that a journal at its limit is
  // not pruned a few messages at every pass.
  static constexpr double kSizeTarget = 0.9;

  // Starts the thread, whose first pass runs at once. Does nothing when neither rule is set or
  // it has already started.
  void start();
  // Ends the pass under way after its current batch (the pause and the wait between passes
  // end at once) and joins the thread. Idempotent.
  void stop();

  // One pass on the caller's thread; the number of messages it deleted, or the store's error.
  // Not while the thread runs.
  Result<std::size_t> run_pass();

  Counters counters() const;
  // Blocks until at least `passes` passes have finished or `timeout` has passed; false then.
  bool wait_for_passes(std::uint64_t passes, std::chrono::milliseconds timeout);

 private:
  void run();
  // Waits `d` or until stop(); false when stopping.
  bool rest(std::chrono::milliseconds d);
  bool stopping() const;
  // Up to `wanted` final messages received before `cutoff_us`, batch after batch, added to
  // `deleted`; stops early at a short batch (nothing more is due) or stop().
  Result<void> prune_batches(std::int64_t cutoff_us, std::size_t wanted, std::size_t& deleted);
  Result<void> prune_by_age(std::size_t& deleted);
  Result<void> prune_by_size(std::size_t& deleted);
  void finish_pass(const Result<void>& outcome);

  std::unique_ptr<Store> store_;
  PrunerOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;       // stop()
  std::condition_variable pass_done_;  // wait_for_passes()
  bool stopping_ = false;              // guarded by mutex_
  std::uint64_t passes_ = 0;           // guarded by mutex_
  std::atomic<std::uint64_t> pruned_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::thread thread_;
};

}  // namespace hisbridge::store
