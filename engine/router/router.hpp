#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/config/config.hpp"
#include "engine/mapping/record.hpp"
#include "engine/router/channel.hpp"
#include "engine/router/channel_counters.hpp"
#include "engine/router/timeline_recorder.hpp"
#include "engine/hl7/message.hpp"
#include "engine/store/store.hpp"

namespace hisbridge::router {

struct RouterCounters {
  std::atomic<std::uint64_t> processed{0};  // messages taken by at least one channel
  std::atomic<std::uint64_t> unrouted{0};   // messages no channel's filter took
  std::atomic<std::uint64_t> failed{0};     // messages marked error
  std::atomic<std::uint64_t> store_errors{0};
  std::atomic<std::uint64_t> mapping_warnings{0};  // parts of messages a mapping reported unmapped
  std::atomic<std::uint64_t> retries{0};    // batches put off because a mapping was not loaded
  // Batches whose timeline marks could not be handed over (delivery went on without them).
  std::atomic<std::uint64_t> timeline_errors{0};
  // Clinical events left off the timeline because their time could not be read.
  std::atomic<std::uint64_t> timeline_skipped_events{0};
};

// Processing after the ACK: for every source, the stored messages still `received` are taken
// in receive order, each channel of that source whose filter matches runs it, and the message
// is marked processed (or error, with the reason). Work comes from the store, never from
// memory, so a crash between ACK and processing loses nothing: at start-up the router resumes
// from whatever is still `received`. The outcomes of a batch are written together
// (Store::set_statuses: one transaction, not forced to disk on its own).
//
// Runs on its own thread with its own Store connection, which reads. The outcomes go to
// `write_statuses` when given (the engine passes GroupCommitter::set_statuses, so that the
// journal has one writer), else to the router's own store. `notify` is the cheap wake-up the
// ingest calls after each durable commit; the router then lets a burst gather for a moment
// (kLinger) so that light traffic, too, is processed and marked in batches.
//
// For each channel that takes a message, the channel's mapping (the version current when the
// message is taken) runs, and the message gets one entry in the durable queue of each of the
// channel's destinations ("<channel>/<destination>", with its order key: channel_output.hpp),
// written in the same transaction as its status. The destinations themselves are written by
// the delivery workers (engine/delivery), which retry, back off and dead-letter on their own:
// a HIS that is down holds up no processing. A mapping failure marks the message `error` with
// the reason (the channels that mapped it still queue their deliveries); a mapping that is not
// loaded stops that source where it is (the message stays `received`, and the router comes
// back to it after a pause that doubles up to kMaxRetryDelay, so later messages never overtake
// it). `on_queued` is called with each batch's written outcomes (the delivery workers' wake-up).
//
// With a timeline, the clinical events of every channel whose mapping succeeded are handed to
// the timeline for a whole batch in one TimelineStore::enqueue() call, before the batch's
// statuses are written (TimelineRecorder); the timeline worker records them. A timeline failure
// is logged and counted and never holds up processing.
//
// Only durable messages are processed: a commit is visible to readers a moment before the
// disk has it (GroupCommitter syncs beside the next commit), so the router takes messages up
// to the newest id it was notified of, or that the store held when the router started.
class Router {
 public:
  using StatusWriter = std::function<Result<void>(std::span<const store::StatusUpdate>)>;
  using QueueNotifier = std::function<void(std::span<const store::StatusUpdate>)>;

  // `channels` are the running channels; when empty, the config's channels run without
  // mappings or destinations (journal only).
  Router(std::unique_ptr<store::Store> store, config::Config config,
         StatusWriter write_statuses = {}, std::vector<Channel> channels = {},
         RouterTimeline timeline = {}, QueueNotifier on_queued = {});
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Reads the newest stored id (everything stored before the start is durable) and starts
  // the thread.
  void start();
  // Thread-safe: there is new work for `source`, and every message up to `durable_id` is
  // durably stored (by default: every message stored).
  void notify(const std::string& source,
              std::int64_t durable_id = std::numeric_limits<std::int64_t>::max());
  // Thread-safe: messages of `source` (every source when empty) may have been set back to
  // `received` below the ones already taken (a replay, store::Store::reprocess): the next pass
  // reads the source again from its first `received` message, at once. Without a call, the
  // router does the same for every source once a second (kRescan), so a replay written by
  // another process (the CLI) is picked up too.
  void rewind(const std::string& source = {});
  // Finishes the message in hand and joins the thread.
  void stop();

  const RouterCounters& counters() const { return counters_; }
  // Turnaround marks held because the timeline's inbox did not take them (thread-safe).
  std::size_t timeline_held_marks() const { return timeline_.held_marks(); }
  // Per channel, in the order of the running channels (the config's order).
  const std::deque<ChannelCounters>& channel_counters() const { return channel_counters_; }
  // Per source; null for a name that is not a configured listener.
  const SourceCounters* source_counters(std::string_view source) const;
  // The counters of one destination of one channel, which its delivery worker keeps; null
  // for names not configured.
  DestinationCounters* destination_counters(std::string_view channel,
                                            std::string_view destination);

 private:
  void run();
  // Waits for work, a retry's time or the next rescan; false when stopping. Applies the
  // rewinds asked for meanwhile.
  bool wait_for_work();
  // Processes one batch of `source`; false when there was nothing to do.
  bool process_batch(const std::string& source);
  // Runs the channels of one message; what its status becomes, or nullopt when a destination
  // asked to retry later. Counts it in `unrouted` when no channel took it.
  std::optional<store::StatusUpdate> outcome(const store::StoredMessage& stored,
                                             std::uint64_t& unrouted);
  // Channel `index`'s mapping for one message, its deliveries added to `update`; empty on
  // success, else the reason it failed. Sets `retry` when the mapping is not loaded.
  std::string run_channel(std::size_t index, const store::StoredMessage& stored,
                          const hl7::Message* message, bool& retry, store::StatusUpdate& update);
  void count_written(const std::string& source, std::uint64_t unrouted);
  // Hands the batch's timeline marks over; a failure is counted, never fatal.
  void record_timeline();
  // The wait before the next attempt at `source`, after a retry (doubling) or a success.
  void note_retry(const std::string& source, bool retried);

  std::unique_ptr<store::Store> store_;
  config::Config config_;
  StatusWriter write_statuses_;
  std::vector<Channel> channels_;
  QueueNotifier on_queued_;
  std::map<std::string, std::int64_t> last_id_;  // per source: the last message taken
  // Per source: the highest id written, so that a message processed again after a replay is
  // not counted as new work done (SourceCounters).
  std::map<std::string, std::int64_t> high_id_;
  std::chrono::steady_clock::time_point next_rescan_{};  // when every source is read from 0
  // Per source after a retry: not before this time, and the pause that led there.
  std::map<std::string, std::pair<std::chrono::steady_clock::time_point,
                                  std::chrono::milliseconds>> retry_at_;
  std::vector<store::StatusUpdate> updates_;      // a batch's outcomes, reused
  TimelineRecorder timeline_;                     // a batch's marks
  // What a channel did with a message, counted once the message's status is written (a batch
  // whose write fails is done again and must not count twice).
  struct Tally {
    std::size_t channel = 0;
    bool failed = false;
    std::string_view type;  // into the batch's messages
  };
  std::vector<Tally> message_tallies_;  // of the message in hand
  std::vector<Tally> batch_tallies_;    // of the batch's messages that have an outcome

  std::mutex mutex_;
  std::condition_variable wake_;
  bool work_ = true;       // guarded by mutex_; true at start to resume from the store
  bool stopping_ = false;  // guarded by mutex_
  std::size_t notified_ = 0;       // guarded by mutex_: notifications since the last wake-up
  std::vector<std::string> rewinds_;  // guarded by mutex_: sources to read from 0 ("": all)
  std::int64_t durable_id_ = 0;    // guarded by mutex_: messages up to it may be processed
  RouterCounters counters_;
  std::deque<ChannelCounters> channel_counters_;                     // parallel to channels_
  // Parallel to channels_, used on the worker's thread only: each channel's output of the
  // message being processed, kept so that its storage is reused.
  std::vector<mapping::MappingOutput> outputs_;
  std::map<std::string, SourceCounters, std::less<>> source_counters_;  // fixed at construction
  // The newest id stored before start(): SourceCounters count only the messages after it.
  std::atomic<std::int64_t> start_id_{std::numeric_limits<std::int64_t>::max()};
  std::thread worker_;
};

}  // namespace hisbridge::router
