#pragma once

// Shared by the inbound adapter tests: a fake Ingest that answers from a thread of its own (as
// the store's writer does), an io_context running on a thread, a temporary folder, and a
// deadline-bounded wait for what happens on other threads.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "engine/hl7/ack.hpp"
#include "engine/hl7/message.hpp"
#include "engine/router/source.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait_until.hpp"

namespace hisbridge::testing {

using testing_support::wait_until;

// What Ingest would answer, without a store: AA (or CA) for bytes that parse as ER7, AR for
// anything else, with `id` as the stored id.
inline router::Reply ingest_like(const router::Envelope& e, std::int64_t id) {
  const hl7::AckOptions options{"HB" + std::to_string(id), "20260305081500+0000"};
  if (auto parsed = hl7::Message::parse(e.raw)) {
    return {hl7::build_ack(*parsed, hl7::AckCode::accept, {}, options), true, id};
  } else {
    return {hl7::build_reject(e.raw, parsed.error(), options), false, id};
  }
}

// What Ingest answers when the commit failed: AR with ERR-3 207, nothing stored.
inline router::Reply store_failure(const router::Envelope& e, std::int64_t /*id*/) {
  const hl7::AckOptions options{"HBFAIL", "20260305081500+0000"};
  hl7::AckIssue issue;
  issue.diagnostic = "message not stored (io); send it again";
  if (auto parsed = hl7::Message::parse(e.raw)) {
    return {hl7::build_ack(*parsed, hl7::AckCode::reject, {&issue, 1}, options), false, 0};
  }
  hl7::ParseError error;
  error.detail = issue.diagnostic;
  return {hl7::build_reject(e.raw, error, options), false, 0};
}

// Stands in for Ingest: records every envelope and answers it from a thread of its own, in
// the order received, with what the policy returns.
class FakeSourceCallbacks final : public router::SourceCallbacks {
 public:
  using Policy = std::function<router::Reply(const router::Envelope&, std::int64_t id)>;

  explicit FakeSourceCallbacks(Policy policy = ingest_like)
      : policy_(std::move(policy)), thread_([this] { run(); }) {}
  ~FakeSourceCallbacks() override { stop(); }
  // Answers what it holds, then stops answering (its thread ends); once only.
  void stop() {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  FakeSourceCallbacks(const FakeSourceCallbacks&) = delete;
  FakeSourceCallbacks& operator=(const FakeSourceCallbacks&) = delete;

  void on_message(router::Envelope message, router::ReplyHandler reply) override {
    {
      const std::lock_guard lock(mutex_);
      received_.push_back(message);
      queue_.emplace_back(std::move(message), std::move(reply));
    }
    wake_.notify_all();
  }

  void set_policy(Policy policy) {
    const std::lock_guard lock(mutex_);
    policy_ = std::move(policy);
  }
  // Back-pressure as Ingest::set_paused sets it, for every source at once.
  void set_paused(bool paused) { paused_.store(paused); }
  bool paused(std::string_view /*source*/) const override { return paused_.load(); }
  std::vector<router::Envelope> received() const {
    const std::lock_guard lock(mutex_);
    return received_;
  }
  std::size_t received_count() const {
    const std::lock_guard lock(mutex_);
    return received_.size();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;
      }
      auto [message, reply] = std::move(queue_.front());
      queue_.pop_front();
      const std::int64_t id = ++last_id_;
      const Policy policy = policy_;
      lock.unlock();
      reply(policy(message, id));
      lock.lock();
    }
  }

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  Policy policy_;
  std::vector<router::Envelope> received_;
  std::deque<std::pair<router::Envelope, router::ReplyHandler>> queue_;
  std::int64_t last_id_ = 0;
  bool stopping_ = false;
  std::atomic<bool> paused_{false};
  std::thread thread_;  // last: starts once everything above exists
};

// An io_context running on a thread of its own until the object is destroyed.
class IoThread {
 public:
  IoThread() : work_(ioc_.get_executor()), thread_([this] { ioc_.run(); }) {}
  ~IoThread() { stop(); }
  // Stops running handlers and ends the thread, keeping the io_context (and its strands) for
  // what may still post to it; once only.
  void stop() {
    if (thread_.joinable()) {
      work_.reset();
      ioc_.stop();
      thread_.join();
    }
  }
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;
  boost::asio::io_context& ioc() { return ioc_; }

 private:
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

using TempDir = testing_support::TempDir;

inline void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Writes `bytes` under a temporary name beside `path`, then renames it: how exporters drop.
inline void drop_file(const std::filesystem::path& path, std::string_view bytes) {
  const std::filesystem::path temp = path.string() + ".tmp";
  write_file(temp, bytes);
  std::filesystem::rename(temp, path);
}

}  // namespace hisbridge::testing
