#include "engine/store/retention.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>
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

// "412.3 MB": sizes in the log as an operator reads them (decimal megabytes, as df -H).
std::string megabytes(std::int64_t bytes) {
  return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6);
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
  const bool any_rule = options_.max_age.count() > 0 || options_.max_size_bytes > 0;
  if (!any_rule || thread_.joinable()) {
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

bool Pruner::stopping() const {
  const std::lock_guard lock(mutex_);
  return stopping_;
}

Result<std::size_t> Pruner::run_pass() {
  std::size_t deleted = 0;
  Result<void> outcome;
  if (options_.max_age.count() > 0) {
    outcome = prune_by_age(deleted);
  }
  if (outcome && options_.max_size_bytes > 0 && !stopping()) {
    outcome = prune_by_size(deleted);
  }
  finish_pass(outcome);
  if (!outcome) {
    return outcome.error();
  }
  return deleted;
}

Result<void> Pruner::prune_batches(std::int64_t cutoff_us, std::size_t wanted,
                                   std::size_t& deleted) {
  const std::size_t batch = std::max<std::size_t>(options_.batch, 1);
  while (wanted > 0) {
    const std::size_t asked = std::min(batch, wanted);
    auto pruned = store_->prune(cutoff_us, asked);
    if (!pruned) {
      return pruned.error();
    }
    deleted += *pruned;
    pruned_.fetch_add(*pruned, std::memory_order_relaxed);
    wanted -= std::min(*pruned, wanted);
    // A short batch: nothing more is due before the cutoff.
    if (*pruned < asked || wanted == 0 || !rest(options_.pause)) {
      break;
    }
  }
  return {};
}

Result<void> Pruner::prune_by_age(std::size_t& deleted) {
  const std::int64_t cutoff_us =
      options_.now_us() -
      std::chrono::duration_cast<std::chrono::microseconds>(options_.max_age).count();
  std::size_t n = 0;
  auto done = prune_batches(cutoff_us, std::numeric_limits<std::size_t>::max(), n);
  deleted += n;
  if (n > 0) {
    spdlog::info("store: retention deleted {} messages received before {}{}", n,
                 utc_text(cutoff_us), done ? "" : " before it failed");
  }
  return done;
}

// The overshoot's share of the messages goes, oldest first; the size is measured again after
// each round, since deleting rows frees a little less than their share (index pages stay
// partly used) and a PostgreSQL estimate moves with the newest rows.
Result<void> Pruner::prune_by_size(std::size_t& deleted) {
  constexpr int kRounds = 3;
  const std::int64_t max = options_.max_size_bytes;
  auto measured = store_->data_bytes();
  if (!measured) {
    return measured.error();
  }
  const std::int64_t before = *measured;
  if (before <= max) {
    return {};
  }
  const auto target = static_cast<std::int64_t>(static_cast<double>(max) * kSizeTarget);
  const std::int64_t cutoff_us =
      options_.now_us() -
      std::chrono::duration_cast<std::chrono::microseconds>(options_.min_age).count();
  std::int64_t size = before;
  std::size_t n = 0;
  Result<void> done;
  for (int round = 0; round < kRounds && size > target && !stopping(); ++round) {
    auto stats = store_->stats();
    if (!stats) {
      done = stats.error();
      break;
    }
    const double share = static_cast<double>(size - target) / static_cast<double>(size);
    const auto wanted =
        static_cast<std::size_t>(std::ceil(static_cast<double>(stats->messages) * share));
    std::size_t got = 0;
    done = prune_batches(cutoff_us, wanted, got);
    n += got;
    if (done) {
      measured = store_->data_bytes();
      done = measured ? Result<void>() : Result<void>(measured.error());
    }
    if (!done || got < wanted || got == 0) {
      break;
    }
    size = *measured;
  }
  deleted += n;
  if (done && measured) {
    size = *measured;
  }
  if (n > 0) {
    spdlog::info("store: retention deleted {} messages to keep the journal under max_size "
                 "({}): {} of data before, {} after{}",
                 n, megabytes(max), megabytes(before), megabytes(size),
                 done ? "" : " (then it failed)");
  }
  if (done && size > max) {
    spdlog::warn("store: the journal holds {} of data, over retention.max_size ({}), and "
                 "nothing more may be deleted: the rest is not processed yet, waits for "
                 "delivery, or is inside the duplicate window",
                 megabytes(size), megabytes(max));
  }
  return done;
}

void Pruner::finish_pass(const Result<void>& outcome) {
  if (!outcome) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("store: retention pass failed: {} (tried again in {} s)",
                 outcome.error().message(),
                 std::chrono::duration_cast<std::chrono::seconds>(options_.interval).count());
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
