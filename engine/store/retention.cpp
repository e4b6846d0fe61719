#include "engine/store/retention.hpp"

#include <spdlog/spdlog.h>

#include <ctime>
#include <string>

#include "engine/core/clock.hpp"

namespace hisbridge::store {
namespace {

// "2026-03-05 01:15:00 UTC": the cutoff as an operator reads it in the log.
std::string utc_text(std::int64_t us) {
  const std::time_t seconds = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[32];
  const std::size_t n = std::strftime(out, sizeof out, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return std::string(out, n);
}

}  // namespace

Pruner::Pruner(std::unique_ptr<Store> store, PrunerOptions options)
    : store_(std::move(store)), options_(std::move(options)) {
  if (!options_.now_us) {
    options_.now_us = unix_now_us;
  }
}

Pruner::~Pruner() { stop(); }

void Pruner::start() {
  if (options_.max_age.count() <= 0 || thread_.joinable()) {
    return;
  }
  {
    const std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void Pruner::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Pruner::run() {
  do {
    (void)run_pass();
  } while (rest(options_.interval));
}

bool Pruner::rest(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, d, [this] { return stopping_; });
  return !stopping_;
}

// Batches while they come back full: a short one means nothing more is due before the cutoff.
Result<std::size_t> Pruner::run_pass() {
  const std::int64_t cutoff_us =
      options_.now_us() -
      std::chrono::duration_cast<std::chrono::microseconds>(options_.max_age).count();
  const std::size_t batch = options_.batch == 0 ? 1 : options_.batch;
  std::size_t total = 0;
  Result<std::size_t> outcome = total;
  for (;;) {
    auto deleted = store_->prune(cutoff_us, batch);
    if (!deleted) {
      outcome = deleted.error();
      break;
    }
    total += *deleted;
    pruned_.fetch_add(*deleted, std::memory_order_relaxed);
    outcome = total;
    if (*deleted < batch || !rest(options_.pause)) {
      break;
    }
  }
  if (!outcome && total > 0) {
    spdlog::info("store: retention deleted {} messages received before {} before it failed",
                 total, utc_text(cutoff_us));
  }
  finish_pass(outcome, cutoff_us);
  return outcome;
}

void Pruner::finish_pass(const Result<std::size_t>& deleted, std::int64_t cutoff_us) {
  if (!deleted) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("store: retention pass failed: {} (tried again in {} s)",
                 deleted.error().message(),
                 std::chrono::duration_cast<std::chrono::seconds>(options_.interval).count());
  } else if (*deleted > 0) {
    spdlog::info("store: retention deleted {} messages received before {}", *deleted,
                 utc_text(cutoff_us));
  }
  {
    const std::lock_guard lock(mutex_);
    ++passes_;
  }
  pass_done_.notify_all();
}

Pruner::Counters Pruner::counters() const {
  Counters out;
  out.pruned = pruned_.load(std::memory_order_relaxed);
  out.failures = failures_.load(std::memory_order_relaxed);
  const std::lock_guard lock(mutex_);
  out.passes = passes_;
  return out;
}

bool Pruner::wait_for_passes(std::uint64_t passes, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return pass_done_.wait_for(lock, timeout, [&] { return passes_ >= passes; });
}

}  // namespace hisbridge::store
