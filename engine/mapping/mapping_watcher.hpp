#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/mapping/mapping.hpp"

namespace hisbridge::mapping {

// What the admin API and logs say about one mapping file.
struct MappingStatus {
  std::string file;
  std::string name;
  std::int64_t loaded_at_us = 0;  // when the running version was loaded
  std::uint64_t reloads = 0;      // successful reloads since start
  std::uint64_t failures = 0;     // refused reloads since start
  std::string last_error;         // why the last refused reload was refused; empty after a success
};

// Hot reload of mapping files: keeps the running version of every watched mapping, checks its
// files (the mapping and every lookup table it reads) for a change of modification time or
// size, and swaps in the new version only when it loads without error. An invalid change is
// refused: the running version keeps working, the failure is logged, counted and kept for
// /api/v1/channels, and the same broken content is not reported again until it changes (it is
// tried again at every check, since a file the running version does not read can mend it).
// Callers take current() once per message, so a swap happens between two messages.
class MappingWatcher {
 public:
  explicit MappingWatcher(MappingLoadOptions options,
                          std::chrono::milliseconds interval = std::chrono::seconds(2));
  ~MappingWatcher();
  MappingWatcher(const MappingWatcher&) = delete;
  MappingWatcher& operator=(const MappingWatcher&) = delete;

  // Loads `file` and watches it from now on; at start-up an invalid mapping is an error.
  // Adding a file already watched changes nothing.
  Result<void, MappingErrors> add(const std::string& file);
  // The running version; null for a file never added. Thread-safe.
  std::shared_ptr<const Mapping> current(const std::string& file) const;

  // Starts the polling thread (when the interval is not 0).
  void start();
  void stop();
  // Checks every watched file once; what the thread does every interval.
  void check_now();

  std::vector<MappingStatus> statuses() const;
  std::uint64_t reload_failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  // Modification times and sizes of a mapping's files, in Program::files order.
  using Signature = std::vector<std::pair<std::int64_t, std::int64_t>>;

  struct Watched {
    std::shared_ptr<const Mapping> mapping;
    Signature loaded;   // of the running version
    Signature refused;  // of the last content refused, so it is reported once
    MappingStatus status;
  };

  static Signature signature_of(const std::vector<std::string>& files);
  void check(const std::string& file, Watched& w);
  void run();

  const MappingLoadOptions options_;
  const std::chrono::milliseconds interval_;
  mutable std::mutex mutex_;
  std::map<std::string, Watched> watched_;  // guarded by mutex_
  std::atomic<std::uint64_t> failures_{0};

  std::mutex stop_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by stop_mutex_
  std::thread thread_;
};

}  // namespace hisbridge::mapping
