#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "engine/config/config.hpp"
#include "engine/mapping/record.hpp"
#include "engine/router/channel.hpp"
#include "engine/router/channel_counters.hpp"
#include "engine/router/destination.hpp"
#include "engine/store/store.hpp"
#include "engine/timeline/timeline_store.hpp"

namespace hisbridge::delivery {

// Writes queue outcomes on the journal (the engine passes GroupCommitter::write, so that the
// journal keeps one writer).
using UpdateWriter = std::function<Result<void>(std::span<const store::DeliveryUpdate>)>;
// Hands the `accepted`/`delivered` marks of delivered messages to the turnaround timeline;
// may be empty. Called from the workers' threads: must be thread-safe.
using MarkSink = std::function<void(std::span<const timeline::Mark>)>;

struct WorkerOptions {
  std::size_t batch = 64;  // entries read per round
  // How often a worker looks for entries whose back-off has passed when nothing woke it, and
  // reads its queue's depth from the journal (new entries wake it at once).
  std::chrono::milliseconds poll{1000};
};

// One destination's queue ("<channel>/<destination>"), delivered on a thread of its own.
//
// Each round reads the due entries (Store::due_deliveries: oldest first, none ahead of an
// earlier entry of its order key still waiting out a retry), and for each one reads the stored
// message, maps it with the channel's mapping as it is now (channel_output.hpp) and hands it to
// the destination:
// - delivered: the entry is `delivered`; its message gets its `accepted`/`delivered` marks;
// - failed (the destination refuses it for good), the message gone from the journal, or a
//   mapping that cannot map it: `dead`, with the reason;
// - retry: attempts + 1 and `next_attempt_us` a back-off later (retry_delay), or `dead` once
//   the destination's max_attempts is reached. The rest of the round waits: the worker pauses
//   as a whole, for a back-off that doubles while rounds keep ending in a retry, so a HIS that
//   is down costs one attempt per pause rather than one per entry; when it comes back, the
//   next round's first delivery ends the pause. An entry that fails alone (other entries go
//   through) holds back only the later entries of its order key.
// The round's outcomes are written in one call (UpdateWriter). A crash before that delivers
// those entries again, which the destinations' idempotent writes absorb.
//
// The queue's depth (pending and dead entries) is read from the journal at start and every
// `poll`, and kept in between from notify() and the outcomes, in the destination's counters.
class DeliveryWorker {
 public:
  struct Setup {
    std::string queue;  // store::queue_name(channel, destination)
    router::Channel channel;  // its mapping and config; destinations unused
    std::shared_ptr<router::Destination> destination;
    std::string charset;  // the channel source's charset override, for reading messages
    config::RetryConfig retry;
    std::unique_ptr<store::Store> reader;  // the worker's own connection
    UpdateWriter write;
    MarkSink marks;
    router::DestinationCounters* counters = nullptr;  // may be null
    WorkerOptions options;
  };

  explicit DeliveryWorker(Setup setup);
  ~DeliveryWorker();
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  void start();
  // Thread-safe: `entries` new entries are in the queue.
  void notify(std::size_t entries);
  // Finishes the entry in hand, writes the round's outcomes, joins the thread.
  void stop();

  const std::string& queue() const { return setup_.queue; }
  const std::string& channel() const { return setup_.channel.config.name; }
  router::Destination& destination() const { return *setup_.destination; }
  // Pending entries as last known (what back-pressure compares with max_queue_depth).
  std::int64_t pending() const { return counters_->pending.load(std::memory_order_relaxed); }

 private:
  struct Round;
  void run();
  // Waits for work, the end of a pause or the next poll; false when stopping.
  bool wait(std::chrono::steady_clock::time_point until);
  void refresh_depth();
  // One round; the time to wait before the next one (zero: go on at once).
  std::chrono::milliseconds deliver_round();
  void deliver_one(const store::QueuedDelivery& entry, Round& round);
  void finish(const store::QueuedDelivery& entry, router::Delivery outcome, Round& round);
  void write_round(Round& round);

  Setup setup_;
  std::mt19937_64 random_;
  std::int64_t failing_rounds_ = 0;  // rounds in a row that ended in a retry
  std::chrono::steady_clock::time_point next_depth_read_{};
  // The channel's output of the message being delivered, kept so that its storage is reused.
  mapping::MappingOutput output_;

  router::DestinationCounters own_counters_{""};  // when the setup gives none
  router::DestinationCounters* counters_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool work_ = true;        // guarded by mutex_
  bool stopping_ = false;   // guarded by mutex_
  std::thread thread_;
};

}  // namespace hisbridge::delivery
