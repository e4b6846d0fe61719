#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/config/config.hpp"

namespace hisbridge::delivery {

class DeliveryService;

// One destination queue whose depth slows down its channel's source.
struct WatchedQueue {
  std::string source;      // the channel's source (a listener name)
  std::string queue;       // store::queue_name(channel, destination), for the log
  std::int64_t limit = 0;  // the destination's max_queue_depth
  // The pending entries now (DeliveryWorker::pending()). Called on the monitor's thread.
  std::function<std::int64_t()> depth;
};

// Pauses or resumes a source's ingest (the engine passes Ingest::set_paused); `reason` names
// the queue that decided it. Called on the monitor's thread, only when the state changes.
using PauseSetter =
    std::function<void(const std::string& source, bool paused, std::string_view reason)>;

struct BackPressureOptions {
  // How often the depths are compared with the limits. A queue grows by what ingest stores in
  // this time past its limit: a few hundred entries at most, against a limit of thousands.
  std::chrono::milliseconds interval{150};
  // A paused source resumes when every queue of its channels holds at most this share of its
  // limit (percent): the gap keeps a queue hovering at its limit from flapping the source.
  std::int64_t resume_percent = 80;
};

// Back-pressure (ADR 0004): when a destination's queue holds more than its max_queue_depth
// entries, ingest on its channel's source pauses, so a HIS that is down or slow makes senders
// wait (MLLP reads pause, HTTP answers 503, drop folder files stay) instead of the journal
// growing without bound; when every queue of that source's channels is back at or below the
// resume mark, the source resumes. A source feeding several channels pauses when any of their
// queues is over its limit.
//
// A thread of its own ("hb-backpress") runs check() every interval from start() to stop().
class BackPressure {
 public:
  BackPressure(std::vector<WatchedQueue> queues, PauseSetter set_paused,
               BackPressureOptions options = {});
  // stop().
  ~BackPressure();
  BackPressure(const BackPressure&) = delete;
  BackPressure& operator=(const BackPressure&) = delete;

  // The first check runs at once: queues left deep by an earlier run pause their sources
  // before the listeners take anything.
  void start();
  // Joins the thread. The sources keep the state they have (the engine stops the listeners
  // first). Idempotent.
  void stop();

  // One comparison of every queue with its limit, pausing and resuming sources as needed.
  // What the thread runs; tests call it directly instead of starting the thread. Not to be
  // called from two threads at once.
  void check();

  // The mark at or below which a queue of `limit` lets its source resume.
  std::int64_t resume_mark(std::int64_t limit) const;

 private:
  struct Source {
    std::string name;
    std::vector<std::size_t> queues;  // indices into queues_
    bool paused = false;              // as last set; only check() touches it
  };
  void run();
  void check(Source& source);

  const std::vector<WatchedQueue> queues_;
  const PauseSetter set_paused_;
  const BackPressureOptions options_;
  std::vector<Source> sources_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

// The depth of a queue by name; an empty function when no worker delivers that queue.
using DepthLookup = std::function<std::function<std::int64_t()>(const std::string& queue)>;

// Every destination of every channel of `config`, with its max_queue_depth, its channel's
// source and the depth `depth_of` gives for its queue (queues without one are left out).
std::vector<WatchedQueue> watched_queues(const config::Config& config, const DepthLookup& depth_of);

// The delivery workers' pending() by queue. `deliveries` must outlive the functions.
DepthLookup worker_depths(const DeliveryService& deliveries);

}  // namespace hisbridge::delivery
