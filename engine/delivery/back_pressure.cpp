#include "engine/delivery/back_pressure.hpp"

#include <pthread.h>

#include <algorithm>
#include <utility>

#include "engine/delivery/delivery_service.hpp"
#include "engine/store/delivery_queue.hpp"

namespace hisbridge::delivery {

BackPressure::BackPressure(std::vector<WatchedQueue> queues, PauseSetter set_paused,
                           BackPressureOptions options)
    : queues_(std::move(queues)), set_paused_(std::move(set_paused)), options_(options) {
  for (std::size_t i = 0; i < queues_.size(); ++i) {
    auto it = std::find_if(sources_.begin(), sources_.end(),
                           [&](const Source& s) { return s.name == queues_[i].source; });
    if (it == sources_.end()) {
      sources_.push_back(Source{queues_[i].source, {}, false});
      it = std::prev(sources_.end());
    }
    it->queues.push_back(i);
  }
}

BackPressure::~BackPressure() { stop(); }

void BackPressure::start() {
  if (thread_.joinable() || sources_.empty()) {
    return;
  }
  thread_ = std::thread([this] { run(); });
}

void BackPressure::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void BackPressure::run() {
  pthread_setname_np(pthread_self(), "hb-backpress");  // for top -H and perf
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    check();
    lock.lock();
    wake_.wait_for(lock, options_.interval, [this] { return stopping_; });
  }
}

std::int64_t BackPressure::resume_mark(std::int64_t limit) const {
  return limit * std::clamp<std::int64_t>(options_.resume_percent, 0, 100) / 100;
}

void BackPressure::check() {
  for (Source& source : sources_) {
    check(source);
  }
}

// Pauses on the first queue over its limit; resumes only when every queue is at or below its
// resume mark. In between, the source keeps the state it has.
void BackPressure::check(Source& source) {
  bool all_low = true;
  for (const std::size_t i : source.queues) {
    const WatchedQueue& q = queues_[i];
    const std::int64_t depth = q.depth ? q.depth() : 0;
    if (!source.paused && depth > q.limit) {
      source.paused = true;
      set_paused_(source.name, true,
                  "queue " + q.queue + " holds " + std::to_string(depth) +
                      " entries, over its max_queue_depth " + std::to_string(q.limit));
      return;
    }
    all_low = all_low && depth <= resume_mark(q.limit);
  }
  if (source.paused && all_low) {
    source.paused = false;
    set_paused_(source.name, false,
                "every queue of its channels is back at or below " +
                    std::to_string(options_.resume_percent) + "% of its max_queue_depth");
  }
}

std::vector<WatchedQueue> watched_queues(const config::Config& config,
                                         const DepthLookup& depth_of) {
  std::vector<WatchedQueue> out;
  for (const config::ChannelConfig& c : config.channels) {
    for (const config::DestinationConfig& d : c.destinations) {
      std::string queue = store::queue_name(c.name, d.name);
      auto depth = depth_of(queue);
      if (!depth) {
        continue;
      }
      out.push_back(WatchedQueue{c.source, std::move(queue),
                                 static_cast<std::int64_t>(d.max_queue_depth), std::move(depth)});
    }
  }
  return out;
}

DepthLookup worker_depths(const DeliveryService& deliveries) {
  return [&deliveries](const std::string& queue) -> std::function<std::int64_t()> {
    for (const auto& worker : deliveries.workers()) {
      if (worker->queue() == queue) {
        return [w = worker.get()] { return w->pending(); };
      }
    }
    return {};
  };
}

}  // namespace hisbridge::delivery
