#include "engine/mapping/mapping_watcher.hpp"

#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include "engine/core/clock.hpp"

namespace hisbridge::mapping {

MappingWatcher::MappingWatcher(MappingLoadOptions options, std::chrono::milliseconds interval)
    : options_(std::move(options)), interval_(interval) {}

MappingWatcher::~MappingWatcher() { stop(); }

MappingWatcher::Signature MappingWatcher::signature_of(const std::vector<std::string>& files) {
  Signature out;
  for (const std::string& f : files) {
    struct stat st {};
    if (::stat(f.c_str(), &st) != 0) {
      out.emplace_back(-1, -1);  // gone: a change too (the reload then says why)
      continue;
    }
    out.emplace_back(static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                         st.st_mtim.tv_nsec,
                     static_cast<std::int64_t>(st.st_size));
  }
  return out;
}

Result<void, MappingErrors> MappingWatcher::add(const std::string& file) {
  {
    const std::lock_guard lock(mutex_);
    if (watched_.contains(file)) {
      return {};
    }
  }
  auto loaded = Mapping::load(file, options_);
  if (!loaded) {
    return loaded.error();
  }
  Watched w;
  w.loaded = signature_of((*loaded)->program().files);
  w.status.file = file;
  w.status.name = (*loaded)->name();
  w.status.loaded_at_us = unix_now_us();
  w.mapping = std::move(*loaded);
  const std::lock_guard lock(mutex_);
  watched_.emplace(file, std::move(w));
  return {};
}

std::shared_ptr<const Mapping> MappingWatcher::current(const std::string& file) const {
  const std::lock_guard lock(mutex_);
  const auto it = watched_.find(file);
  return it == watched_.end() ? nullptr : it->second.mapping;
}

void MappingWatcher::check(const std::string& file, Watched& w) {
  const Signature now = signature_of(w.mapping->program().files);
  if (now == w.loaded) {
    return;
  }
  // Refused content is tried again at every check, quietly: it may have become valid through a
  // file the running version does not read (a lookup table the edit names, written after it).
  const bool reported = now == w.refused;
  auto loaded = Mapping::load(file, options_);
  if (!loaded) {
    if (reported) {
      return;
    }
    // Keep the running version; report this content once.
    w.refused = now;
    ++w.status.failures;
    failures_.fetch_add(1, std::memory_order_relaxed);
    std::string reasons;
    for (const auto& e : loaded.error()) {
      reasons += (reasons.empty() ? "" : "; ") + e.to_string();
    }
    w.status.last_error = reasons;
    spdlog::error("mapping {}: the change was refused, the running version stays: {}", file,
                  reasons);
    return;
  }
  w.loaded = signature_of((*loaded)->program().files);
  w.refused.clear();
  w.mapping = std::move(*loaded);
  w.status.name = w.mapping->name();
  w.status.loaded_at_us = unix_now_us();
  w.status.last_error.clear();
  ++w.status.reloads;
  spdlog::info("mapping {}: reloaded ({})", file, w.mapping->name());
}

void MappingWatcher::check_now() {
  // Loading happens under the lock: reloads are rare, and current() only copies a pointer.
  const std::lock_guard lock(mutex_);
  for (auto& [file, w] : watched_) {
    check(file, w);
  }
}

std::vector<MappingStatus> MappingWatcher::statuses() const {
  const std::lock_guard lock(mutex_);
  std::vector<MappingStatus> out;
  for (const auto& [file, w] : watched_) {
    out.push_back(w.status);
  }
  return out;
}

void MappingWatcher::start() {
  if (interval_.count() <= 0 || thread_.joinable()) {
    return;
  }
  thread_ = std::thread([this] { run(); });
}

void MappingWatcher::stop() {
  {
    const std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void MappingWatcher::run() {
  std::unique_lock lock(stop_mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    check_now();
    lock.lock();
  }
}

}  // namespace hisbridge::mapping
