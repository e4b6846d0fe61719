// Back-pressure on the MLLP listener over real loopback sockets: while the engine says the
// source is paused (SourceCallbacks::paused), sessions hand no new frame over and so send no
// ACK for it, yet answer what they handed over before and keep their connections; once the
// source resumes, the held frames go through.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "adapters/mllp/framer.hpp"
#include "adapters/mllp/mllp_listener.hpp"
#include "tests/adapters/mllp/raw_mllp_client.hpp"
#include "tests/support/wait_until.hpp"

namespace hisbridge::mllp {
namespace {

using hisbridge::testing::RawMllpClient;
using testing_support::wait_until;
using namespace std::chrono_literals;

std::string frame(std::string_view control_id) {
  return encode_frame("MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01|" +
                      std::string(control_id) + "|P|2.5\rPID|1||12345^^^HOSP^MR\r");
}

// MSA-2 of an ACK: the control id it answers.
std::string acked(const std::string& ack) {
  const std::size_t msa = ack.find("\rMSA|");
  if (msa == std::string::npos) {
    return {};
  }
  const std::size_t from = ack.find('|', msa + 5) + 1;
  return ack.substr(from, ack.find_first_of("|\r", from) - from);
}

// Stands in for Ingest: a pause switch for the source, and replies held until the test
// answers them (from the test's thread, as the store's writer thread would from its own).
class PausableEngine final : public router::SourceCallbacks {
 public:
  void on_message(router::Envelope envelope, router::ReplyHandler reply) override {
    const std::lock_guard lock(mutex_);
    const std::size_t at = envelope.raw.find("|P|2.5");
    const std::size_t id = envelope.raw.rfind('|', at - 1) + 1;
    held_.emplace_back(envelope.raw.substr(id, at - id), std::move(reply));
    ++received_;
  }
  bool paused(std::string_view source) const override {
    return source == "lis" && paused_.load();
  }

  void set_paused(bool paused) { paused_.store(paused); }
  std::size_t received() const {
    const std::lock_guard lock(mutex_);
    return received_;
  }
  // Answers every held message AA.
  void answer_all() {
    std::vector<std::pair<std::string, router::ReplyHandler>> held;
    {
      const std::lock_guard lock(mutex_);
      held.swap(held_);
    }
    for (auto& [id, reply] : held) {
      reply({"MSH|^~\\&|HIS|HOSP|LIS|LAB|20260305081501||ACK^R01^ACK|A" + id +
                 "|P|2.5\rMSA|AA|" + id + "\r",
             true, 1});
    }
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, router::ReplyHandler>> held_;
  std::size_t received_ = 0;
  std::atomic<bool> paused_{false};
};

// A listener on loopback run by two threads. Teardown as the engine does it: the listener
// stops, every owed reply runs, then the threads stop.
class Harness {
 public:
  explicit Harness(std::chrono::milliseconds idle_timeout = 30s) {
    MllpListenerOptions o;
    o.name = "lis";
    o.host = "127.0.0.1";
    o.idle_timeout = idle_timeout;
    listener_ = std::make_unique<MllpListener>(ioc_, o, engine);
    auto started = listener_->start();
    EXPECT_TRUE(started.has_value()) << started.error().message();
    for (int i = 0; i < 2; ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
  }
  ~Harness() {
    listener_->stop();
    engine.answer_all();
    guard_.reset();
    for (auto& t : threads_) {
      t.join();
    }
  }
  std::uint16_t port() const { return listener_->port(); }

  PausableEngine engine;

 private:
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
      ioc_.get_executor()};
  std::unique_ptr<MllpListener> listener_;
  std::vector<std::thread> threads_;
};

TEST(MllpListenerPauseTest, PausedSourceAnswersWhatItHasButReadsNoNewFrameUntilResumed) {
  Harness h;
  RawMllpClient client(h.port());
  ASSERT_TRUE(client.send(frame("C0")));
  ASSERT_TRUE(wait_until([&] { return h.engine.received() == 1; }));

  // Paused with C0 in flight: C0 still gets its ACK.
  h.engine.set_paused(true);
  h.engine.answer_all();
  auto first = client.read_frame();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(acked(*first), "C0");

  // C1 waits on the connection, and so does a connection opened while paused.
  ASSERT_TRUE(client.send(frame("C1")));
  RawMllpClient later(h.port());
  ASSERT_TRUE(later.send(frame("C2")));
  EXPECT_FALSE(wait_until([&] { return h.engine.received() > 1; }, 300ms));
  h.engine.answer_all();
  EXPECT_FALSE(client.read_frame(50ms).has_value());
  EXPECT_FALSE(later.read_frame(10ms).has_value());

  h.engine.set_paused(false);
  ASSERT_TRUE(wait_until([&] { return h.engine.received() == 3; }));
  h.engine.answer_all();
  auto second = client.read_frame();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(acked(*second), "C1");
  auto third = later.read_frame();
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(acked(*third), "C2");
}

TEST(MllpListenerPauseTest, AHeldConnectionIsNotClosedAsIdle) {
  Harness h(50ms);
  h.engine.set_paused(true);
  RawMllpClient client(h.port());
  ASSERT_TRUE(client.send(frame("C0")));
  // Many idle timeouts pass while the source is paused: the wait is the engine's, not the
  // sender's, so the connection stays.
  EXPECT_FALSE(client.wait_closed(400ms));
  EXPECT_EQ(h.engine.received(), 0u);

  h.engine.set_paused(false);
  ASSERT_TRUE(wait_until([&] { return h.engine.received() == 1; }));
  h.engine.answer_all();
  auto ack = client.read_frame();
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(acked(*ack), "C0");
  // Answered and quiet again: now it is idle, and closed.
  EXPECT_TRUE(client.wait_closed());
}

}  // namespace
}  // namespace hisbridge::mllp
