#include "engine/router/router.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "engine/hl7/charset.hpp"
#include "engine/router/filter.hpp"

namespace hisbridge::router {
namespace {

constexpr std::size_t kBatch = 256;

}  // namespace

Router::Router(std::unique_ptr<store::Store> store, config::Config config)
    : store_(std::move(store)), config_(std::move(config)) {
  for (const auto& listener : config_.listeners) {
    last_id_[listener.name] = 0;
  }
}

Router::~Router() { stop(); }

void Router::start() { worker_ = std::thread([this] { run(); }); }

void Router::notify(const std::string&) {
  {
    std::lock_guard lock(mutex_);
    work_ = true;
  }
  wake_.notify_one();
}

void Router::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (worker_.joinable()) {
    worker_.join();
  }
}

void Router::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return work_ || stopping_; });
      if (stopping_) {
        return;
      }
      work_ = false;
    }
    // Round-robin over the sources, one batch each, until none has work: a busy source
    // cannot starve the others, and each source's messages keep their receive order.
    bool busy = true;
    while (busy) {
      busy = false;
      for (auto& [source, last_id] : last_id_) {
        busy = process_batch(source) || busy;
        std::lock_guard lock(mutex_);
        if (stopping_) {
          return;
        }
      }
    }
  }
}

bool Router::process_batch(const std::string& source) {
  auto batch = store_->pending(source, last_id_[source], kBatch);
  if (!batch) {
    counters_.store_errors.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("router: reading pending messages of {} failed: {}", source,
                  batch.error().message());
    return false;
  }
  for (const store::StoredMessage& stored : *batch) {
    if (!process(stored)) {
      // The store refused the status: leave the message `received` and come back to it,
      // after a pause, rather than skip past it.
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
      work_ = true;
      return false;
    }
    last_id_[source] = stored.id;
  }
  return batch->size() == kBatch;
}

bool Router::process(const store::StoredMessage& stored) {
  const config::ListenerConfig* listener = config_.listener(stored.message.source);
  hl7::DecodeOptions options;
  if (listener != nullptr) {
    options.charset_override = listener->charset;
  }
  auto message = hl7::decode(stored.message.raw, options);
  store::MessageStatus status = store::MessageStatus::processed;
  std::string error;
  if (!message) {
    status = store::MessageStatus::error;
    error = message.error().message();
  } else {
    std::size_t taken = 0;
    for (const auto& channel : config_.channels) {
      if (channel.source == stored.message.source && filter_matches(channel.filter, *message)) {
        ++taken;  // mapping and destinations run here once channels have them
      }
    }
    if (taken == 0) {
      counters_.unrouted.fetch_add(1, std::memory_order_relaxed);
    }
  }
  auto updated = store_->set_status(stored.id, status, error);
  if (!updated) {
    counters_.store_errors.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("router: marking message {} failed: {}", stored.id, updated.error().message());
    return false;
  }
  (status == store::MessageStatus::processed ? counters_.processed : counters_.failed)
      .fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace hisbridge::router
