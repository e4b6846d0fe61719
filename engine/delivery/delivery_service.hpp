#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/config.hpp"
#include "engine/delivery/delivery_worker.hpp"
#include "engine/router/channel.hpp"
#include "engine/store/store.hpp"

namespace hisbridge::delivery {

// The delivery workers of every destination of every channel, one per queue, each with its own
// journal connection. The router hands each batch's written outcomes to queued(), which wakes
// the workers whose queues got entries.
class DeliveryService {
 public:
  using ReaderFactory = std::function<Result<std::unique_ptr<store::Store>>()>;
  using CountersLookup =
      std::function<router::DestinationCounters*(std::string_view channel,
                                                 std::string_view destination)>;

  struct Setup {
    std::vector<router::Channel> channels;
    ReaderFactory open_reader;
    UpdateWriter write;
    MarkSink marks;           // may be empty
    CountersLookup counters;  // may be empty
    WorkerOptions options;
  };

  // Fails (with the queue it was for) when a worker's connection cannot be opened.
  static Result<std::unique_ptr<DeliveryService>, std::string> create(const config::Config& config,
                                                                     Setup setup);

  void start();
  // Thread-safe; the entries of `updates` are in the journal.
  void queued(std::span<const store::StatusUpdate> updates);
  // Finishes each worker's entry in hand and joins them.
  void stop();

  const std::vector<std::unique_ptr<DeliveryWorker>>& workers() const { return workers_; }

 private:
  DeliveryService() = default;

  std::vector<std::unique_ptr<DeliveryWorker>> workers_;
  std::map<std::string, DeliveryWorker*, std::less<>> by_queue_;
};

}  // namespace hisbridge::delivery
