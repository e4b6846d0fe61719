#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hisbridge::router {

// What the router counts per channel, per destination and per source since it started, for
// /metrics and /api/v1/channels. Updated on the router's thread, read from any thread with
// relaxed loads.

// Kept by the destination's delivery worker (engine/delivery).
struct DestinationCounters {
  explicit DestinationCounters(std::string n) : name(std::move(n)) {}
  const std::string name;
  std::atomic<std::uint64_t> delivered{0};  // entries delivered
  std::atomic<std::uint64_t> retries{0};    // attempts that failed for a reason that passes
  std::atomic<std::uint64_t> failed{0};     // entries that became dead letters
  // The queue now: entries waiting, dead letters, when the oldest waiting one was queued
  // (microseconds since the epoch; 0 when none waits), and whether the worker is pausing after
  // failed attempts.
  std::atomic<std::int64_t> pending{0};
  std::atomic<std::int64_t> dead{0};
  std::atomic<std::int64_t> oldest_pending_us{0};
  std::atomic<bool> backing_off{false};
};

class ChannelCounters {
 public:
  // Message types counted apart per channel; later ones are counted as "other", so that a
  // sender inventing types cannot grow the metrics without bound.
  static constexpr std::size_t kMaxTypes = 64;

  ChannelCounters(std::string name, const std::vector<std::string>& destinations);
  ChannelCounters(const ChannelCounters&) = delete;
  ChannelCounters& operator=(const ChannelCounters&) = delete;

  const std::string& name() const { return name_; }

  // Messages the channel's filter took whose status has been written: `processed` when the
  // channel's mapping and destinations did their part, `failed` when not (the message is then
  // marked error).
  std::atomic<std::uint64_t> processed{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> mapping_warnings{0};  // parts of messages the mapping left unmapped
  std::deque<DestinationCounters> destinations;    // in the channel's order

  // The same `processed`/`failed` split by message type; takes a lock (one per message, on the
  // router's thread, which is the only writer).
  void count_type(std::string_view type, bool failed);
  struct TypeCount {
    std::string type;
    bool failed = false;
    std::uint64_t messages = 0;
  };
  std::vector<TypeCount> by_type() const;

 private:
  const std::string name_;
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, bool>, std::uint64_t> by_type_;  // guarded by mutex_
  std::size_t types_ = 0;                                          // guarded by mutex_
};

// Per source (listener). `queued` and `done` count the messages stored after the router
// started: their difference is what waits for processing (messages left `received` by an
// earlier run are not in it).
struct SourceCounters {
  std::atomic<std::uint64_t> queued{0};    // stored and handed to the router
  std::atomic<std::uint64_t> done{0};      // of those, marked processed or error
  std::atomic<std::uint64_t> unrouted{0};  // messages no channel's filter took

  std::uint64_t waiting() const {
    const std::uint64_t d = done.load(std::memory_order_relaxed);
    const std::uint64_t q = queued.load(std::memory_order_relaxed);
    return q > d ? q - d : 0;
  }
};

}  // namespace hisbridge::router
