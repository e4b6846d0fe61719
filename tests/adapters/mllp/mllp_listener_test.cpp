#include "adapters/mllp/mllp_listener.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "adapters/mllp/framer.hpp"
#include "tests/adapters/mllp/raw_mllp_client.hpp"
#include "tests/support/wait_until.hpp"

namespace hisbridge::mllp {
namespace {

using hisbridge::testing::RawMllpClient;
using namespace std::chrono_literals;

std::string message(std::string_view control_id) {
  std::string m = "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01^ORU_R01|";
  m += control_id;
  m += "|P|2.5\rPID|1||12345^^^HOSP^MR||NGUYEN^VAN A\rOBX|1|NM|GLU^Glucose||5.4|mmol/L|||||F\r";
  return m;
}

std::string frame(std::string_view control_id) { return encode_frame(message(control_id)); }

// Field `number` of the segment `id` of an ER7 message, counted as the spec does for non-MSH
// segments (MSA-1 is the first field after "MSA").
std::string field(std::string_view er7, std::string_view id, std::size_t number) {
  const std::size_t at = er7.starts_with(id) ? 0 : er7.find("\r" + std::string(id));
  if (at == std::string_view::npos) {
    return {};
  }
  std::string_view line = er7.substr(at == 0 ? 0 : at + 1);
  line = line.substr(0, line.find('\r'));
  for (std::size_t i = 0; i < number; ++i) {
    const std::size_t bar = line.find('|');
    if (bar == std::string_view::npos) {
      return {};
    }
    line.remove_prefix(bar + 1);
  }
  return std::string(line.substr(0, line.find('|')));
}

// MSH-10: the MSH-1 separator itself is field 1, so it is the ninth after "MSH".
std::string control_id_of(std::string_view er7) { return field(er7, "MSH", 9); }

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
  return testing_support::wait_until(done, timeout);
}

// Stands in for the engine: records every envelope and replies from its own thread, as the
// store's writer thread does. `immediate` replies in arrival order, `shuffled` replies to each
// burst in a random order, `held` replies only to what the test releases, in the order given.
// Control ids starting with "R" are answered AR.
class FakeEngine final : public router::SourceCallbacks {
 public:
  enum class Mode { immediate, shuffled, held };

  explicit FakeEngine(Mode mode) : mode_(mode), worker_([this] { run(); }) {}
  ~FakeEngine() override { shutdown(); }

  void on_message(router::Envelope envelope, router::ReplyHandler reply) override {
    std::lock_guard lock(mutex_);
    Item item{control_id_of(envelope.raw), std::move(reply)};
    const std::size_t index = envelopes_.size();
    envelopes_.push_back(std::move(envelope));
    if (mode_ == Mode::held) {
      held_.emplace(index, std::move(item));
    } else {
      queue_.push_back(std::move(item));
    }
    changed_.notify_all();
  }

  bool wait_for_messages(std::size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return envelopes_.size() >= count; });
  }
  std::size_t messages() const {
    std::lock_guard lock(mutex_);
    return envelopes_.size();
  }
  std::vector<router::Envelope> envelopes() const {
    std::lock_guard lock(mutex_);
    return envelopes_;
  }
  // Replies to the held messages with these arrival numbers (0-based), in this order.
  void release(const std::vector<std::size_t>& indices) {
    std::lock_guard lock(mutex_);
    for (std::size_t index : indices) {
      auto it = held_.find(index);
      ASSERT_NE(it, held_.end()) << index;
      queue_.push_back(std::move(it->second));
      held_.erase(it);
    }
    changed_.notify_all();
  }
  void release_all() {
    std::lock_guard lock(mutex_);
    for (auto& [index, item] : held_) {
      queue_.push_back(std::move(item));
    }
    held_.clear();
    changed_.notify_all();
  }
  // Waits until every reply handed over so far has run.
  bool wait_replied() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return queue_.empty() && !busy_; });
  }
  // Replies to everything still held, then stops the reply thread.
  void shutdown() {
    release_all();
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      changed_.notify_all();
    }
    if (worker_.joinable()) {
      worker_.join();
    }
  }

 private:
  struct Item {
    std::string control_id;
    router::ReplyHandler reply;
  };

  static router::Reply reply_to(const Item& item) {
    const bool accept = !item.control_id.starts_with("R");
    return router::Reply{"MSH|^~\\&|HIS|HOSP|LIS|LAB|20260305081501||ACK^R01^ACK|A" +
                             item.control_id + "|P|2.5\rMSA|" + (accept ? "AA" : "AR") + "|" +
                             item.control_id + "\r",
                         accept, 1};
  }

  void run() {
    std::mt19937 random(20260305);
    std::unique_lock lock(mutex_);
    for (;;) {
      changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;
      }
      std::vector<Item> batch;
      batch.swap(queue_);
      busy_ = true;
      lock.unlock();
      if (mode_ == Mode::shuffled) {
        std::shuffle(batch.begin(), batch.end(), random);
      }
      for (Item& item : batch) {
        item.reply(reply_to(item));
      }
      lock.lock();
      busy_ = false;
      changed_.notify_all();
    }
  }

  const Mode mode_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<router::Envelope> envelopes_;
  std::map<std::size_t, Item> held_;
  std::vector<Item> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread worker_;  // last: starts once everything above exists
};

MllpListenerOptions options_for_test() {
  MllpListenerOptions o;
  o.name = "lis";
  o.host = "127.0.0.1";
  o.port = 0;
  o.max_frame_bytes = 64 * 1024;
  o.max_connections = 64;
  o.idle_timeout = 30s;
  o.max_in_flight = 64;
  return o;
}

// A listener on loopback run by two threads (so strands matter) and fed to a FakeEngine.
// Teardown follows the order the engine needs: stop the listener, let every owed reply run,
// then stop the threads.
class Harness {
 public:
  explicit Harness(FakeEngine::Mode mode, MllpListenerOptions options = options_for_test())
      : engine(mode), listener(ioc_, std::move(options), engine) {
    auto started = listener.start();
    EXPECT_TRUE(started.has_value()) << started.error().message();
    for (int i = 0; i < 2; ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
  }
  ~Harness() {
    listener.stop();
    engine.shutdown();
    guard_.reset();
    for (auto& t : threads_) {
      t.join();
    }
  }

  std::uint16_t port() const { return listener.port(); }
  const MllpListenerCounters& counters() const { return listener.counters(); }

  FakeEngine engine;

 private:
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
      ioc_.get_executor()};
  std::vector<std::thread> threads_;

 public:
  MllpListener listener;
};

// Reads `count` ACKs and returns their MSA-2 values.
std::vector<std::string> read_acks(RawMllpClient& client, std::size_t count) {
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < count; ++i) {
    auto ack = client.read_frame();
    if (!ack) {
      break;
    }
    ids.push_back(field(*ack, "MSA", 2));
  }
  return ids;
}

std::vector<std::string> ids(std::size_t first, std::size_t count) {
  std::vector<std::string> out;
  for (std::size_t i = first; i < first + count; ++i) {
    out.push_back("C" + std::to_string(i));
  }
  return out;
}

TEST(MllpListenerTest, StartBindsAFreePortAndFailsWhenItIsTaken) {
  Harness h(FakeEngine::Mode::immediate);
  ASSERT_NE(h.port(), 0);

  boost::asio::io_context ioc;
  FakeEngine engine(FakeEngine::Mode::immediate);
  MllpListenerOptions o = options_for_test();
  o.port = h.port();
  MllpListener second(ioc, o, engine);
  auto started = second.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error(), boost::system::errc::address_in_use);
  EXPECT_EQ(second.port(), 0);
}

TEST(MllpListenerTest, HandsEachFrameToTheEngineWithItsEnvelope) {
  Harness h(FakeEngine::Mode::immediate);
  RawMllpClient client(h.port());
  ASSERT_TRUE(client.connected());
  const auto before = std::chrono::system_clock::now();
  ASSERT_TRUE(client.send(frame("C0")));
  auto ack = client.read_frame();
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(field(*ack, "MSA", 1), "AA");
  EXPECT_EQ(field(*ack, "MSA", 2), "C0");

  const auto envelopes = h.engine.envelopes();
  ASSERT_EQ(envelopes.size(), 1u);
  EXPECT_EQ(envelopes[0].raw, message("C0"));
  EXPECT_EQ(envelopes[0].source, "lis");
  EXPECT_EQ(envelopes[0].peer, "127.0.0.1:" + std::to_string(client.local_port()));
  const auto us = [](auto t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  };
  EXPECT_GE(envelopes[0].received_at_us, us(before));
  EXPECT_LE(envelopes[0].received_at_us, us(std::chrono::system_clock::now()));
}

TEST(MllpListenerTest, AnswersEveryFrameOfOneWriteInOrder) {
  Harness h(FakeEngine::Mode::immediate);
  RawMllpClient client(h.port());
  ASSERT_TRUE(client.send(frame("C0") + frame("R1") + frame("C2") + frame("C3") + frame("C4")));
  EXPECT_EQ(read_acks(client, 5), (std::vector<std::string>{"C0", "R1", "C2", "C3", "C4"}));
  EXPECT_TRUE(eventually([&] { return h.counters().messages_answered == 5; }));
  EXPECT_EQ(h.counters().frames.load(), 5u);
  EXPECT_EQ(h.counters().negative_acks.load(), 1u);
}

TEST(MllpListenerTest, AnswersInArrivalOrderWhenRepliesCompleteOutOfOrder) {
  Harness h(FakeEngine::Mode::held);
  RawMllpClient client(h.port());
  std::string bytes;
  for (int i = 0; i < 8; ++i) {
    bytes += frame("C" + std::to_string(i));
  }
  ASSERT_TRUE(client.send(bytes));
  ASSERT_TRUE(h.engine.wait_for_messages(8));

  h.engine.release({7, 5, 3});
  ASSERT_TRUE(h.engine.wait_replied());
  EXPECT_FALSE(client.read_frame(100ms).has_value()) << "C0 is not answered yet";

  h.engine.release({2, 0});
  EXPECT_EQ(read_acks(client, 1), (std::vector<std::string>{"C0"}));
  ASSERT_TRUE(h.engine.wait_replied());
  EXPECT_FALSE(client.read_frame(100ms).has_value()) << "C1 is not answered yet";

  h.engine.release({6, 4, 1});
  EXPECT_EQ(read_acks(client, 7), ids(1, 7));
  EXPECT_FALSE(client.read_frame(50ms).has_value()) << "each message is answered once";
  EXPECT_EQ(h.counters().messages_answered.load(), 8u);
}

TEST(MllpListenerTest, ThousandsOfMessagesOnOneConnectionAreEachAnsweredOnceInOrder) {
  MllpListenerOptions o = options_for_test();
  o.max_in_flight = 16;
  Harness h(FakeEngine::Mode::shuffled, o);
  RawMllpClient client(h.port());
  constexpr std::size_t kCount = 5000;

  // Bursts of 1 to 40 frames per write, and every seventh burst split inside a frame.
  std::thread sender([&] {
    std::mt19937 random(7);
    std::size_t next = 0;
    for (int burst = 0; next < kCount; ++burst) {
      std::string bytes;
      const std::size_t n = std::min<std::size_t>(1 + random() % 40, kCount - next);
      for (std::size_t i = 0; i < n; ++i, ++next) {
        bytes += frame("C" + std::to_string(next));
      }
      if (burst % 7 == 0) {
        const std::size_t cut = bytes.size() / 2;
        ASSERT_TRUE(client.send(std::string_view(bytes).substr(0, cut)));
        ASSERT_TRUE(client.send(std::string_view(bytes).substr(cut)));
      } else {
        ASSERT_TRUE(client.send(bytes));
      }
    }
  });
  const std::vector<std::string> got = read_acks(client, kCount);
  sender.join();

  EXPECT_EQ(got, ids(0, kCount));
  EXPECT_FALSE(client.read_frame(50ms).has_value()) << "no message is answered twice";
  const auto envelopes = h.engine.envelopes();
  ASSERT_EQ(envelopes.size(), kCount) << "no message is handed to the engine twice";
  for (std::size_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(envelopes[i].raw, message("C" + std::to_string(i)));
  }
  EXPECT_EQ(h.counters().frames.load(), kCount);
  EXPECT_EQ(h.counters().messages_answered.load(), kCount);
  EXPECT_EQ(h.counters().connections_accepted.load(), 1u);
}

TEST(MllpListenerTest, FrameTooLargeIsAnsweredArAfterEarlierAcksThenClosed) {
  MllpListenerOptions o = options_for_test();
  o.max_frame_bytes = 1024;
  Harness h(FakeEngine::Mode::held, o);
  RawMllpClient client(h.port());
  const std::string oversize = message("BIG") + "NTE|1||" + std::string(2000, 'x') + "\r";
  ASSERT_TRUE(client.send(frame("C0") + encode_frame(oversize) + frame("C2")));
  ASSERT_TRUE(h.engine.wait_for_messages(1));
  EXPECT_FALSE(client.read_frame(100ms).has_value()) << "the AR waits for the ACK before it";

  h.engine.release_all();
  auto first = client.read_frame();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(field(*first, "MSA", 2), "C0");
  auto reject = client.read_frame();
  ASSERT_TRUE(reject.has_value());
  EXPECT_EQ(field(*reject, "MSA", 1), "AR");
  EXPECT_NE(reject->find("\rERR|"), std::string::npos);
  EXPECT_NE(reject->find("exceeded 1024 bytes"), std::string::npos) << *reject;
  EXPECT_TRUE(client.wait_closed());
  EXPECT_FALSE(client.read_frame(0ms).has_value()) << "nothing after the oversize frame";

  EXPECT_EQ(h.engine.messages(), 1u);
  EXPECT_EQ(h.counters().frames_too_large.load(), 1u);
  EXPECT_EQ(h.counters().messages_answered.load(), 2u);
  EXPECT_EQ(h.counters().negative_acks.load(), 1u);
  client.close();  // ends the listener's lingering read
  EXPECT_TRUE(eventually([&] { return h.counters().connections_open == 0; }));
}

TEST(MllpListenerTest, BytesOutsideFramesAreIgnoredAndCounted) {
  Harness h(FakeEngine::Mode::immediate);
  RawMllpClient client(h.port());
  ASSERT_TRUE(client.send("\r\n" + frame("C0") + "noise" + frame("C1") + "\n"));
  EXPECT_EQ(read_acks(client, 2), (std::vector<std::string>{"C0", "C1"}));
  EXPECT_TRUE(eventually([&] { return h.counters().bytes_ignored == 8; }));

  // A sender restarting a frame: the unfinished part is dropped, counted, never answered.
  ASSERT_TRUE(client.send("\x0bMSH|^~\\&|LIS|LAB|HIS|HOSP|2026" + frame("C2")));
  EXPECT_EQ(read_acks(client, 1), (std::vector<std::string>{"C2"}));
  EXPECT_EQ(h.counters().frames_abandoned.load(), 1u);
  EXPECT_EQ(h.engine.messages(), 3u);
}

TEST(MllpListenerTest, IdleConnectionIsClosed) {
  MllpListenerOptions o = options_for_test();
  o.idle_timeout = 200ms;
  Harness h(FakeEngine::Mode::immediate, o);
  const auto opened = std::chrono::steady_clock::now();
  RawMllpClient client(h.port());
  ASSERT_TRUE(client.wait_closed(5s));
  EXPECT_GE(std::chrono::steady_clock::now() - opened, 190ms);
  EXPECT_TRUE(eventually([&] { return h.counters().idle_timeouts == 1; }));
  EXPECT_TRUE(eventually([&] { return h.counters().connections_open == 0; }));
}

TEST(MllpListenerTest, WaitingForTheEngineIsNotIdleness) {
  MllpListenerOptions o = options_for_test();
  o.idle_timeout = 200ms;
  Harness h(FakeEngine::Mode::held, o);
  RawMllpClient waiting(h.port());
  ASSERT_TRUE(waiting.send(frame("C0")));
  ASSERT_TRUE(h.engine.wait_for_messages(1));
  // A connection opened after the message arrived times out after it, so by then `waiting`
  // has been quiet for longer than the idle timeout too.
  RawMllpClient idle(h.port());
  ASSERT_TRUE(idle.wait_closed(5s));
  EXPECT_TRUE(eventually([&] { return h.counters().idle_timeouts == 1; }));

  h.engine.release_all();
  EXPECT_EQ(read_acks(waiting, 1), (std::vector<std::string>{"C0"}));
  EXPECT_TRUE(waiting.wait_closed(5s)) << "idle again once answered";
  EXPECT_TRUE(eventually([&] { return h.counters().idle_timeouts == 2; }));
}

TEST(MllpListenerTest, ConnectionsOverTheLimitAreClosedAtOnce) {
  MllpListenerOptions o = options_for_test();
  o.max_connections = 2;
  Harness h(FakeEngine::Mode::immediate, o);
  auto first = std::make_unique<RawMllpClient>(h.port());
  RawMllpClient second(h.port());
  ASSERT_TRUE(first->send(frame("C0")));
  ASSERT_TRUE(second.send(frame("C1")));
  ASSERT_EQ(read_acks(*first, 1).size(), 1u);
  ASSERT_EQ(read_acks(second, 1).size(), 1u);

  RawMllpClient third(h.port());
  EXPECT_TRUE(third.wait_closed(5s));
  EXPECT_EQ(h.counters().connections_refused_over_limit.load(), 1u);
  EXPECT_EQ(h.counters().connections_open.load(), 2u);

  first.reset();
  ASSERT_TRUE(eventually([&] { return h.counters().connections_open == 1; }));
  RawMllpClient fourth(h.port());
  ASSERT_TRUE(fourth.send(frame("C3")));
  EXPECT_EQ(read_acks(fourth, 1), (std::vector<std::string>{"C3"}));
  EXPECT_EQ(h.counters().connections_accepted.load(), 3u);
}

TEST(MllpListenerTest, StopsHandingOverFramesAtMaxInFlightAndResumesWhenAnswered) {
  MllpListenerOptions o = options_for_test();
  o.max_in_flight = 4;
  Harness h(FakeEngine::Mode::held, o);
  RawMllpClient client(h.port());
  std::string bytes;
  for (int i = 0; i < 10; ++i) {
    bytes += frame("C" + std::to_string(i));
  }
  ASSERT_TRUE(client.send(bytes));
  ASSERT_TRUE(h.engine.wait_for_messages(4));
  std::this_thread::sleep_for(100ms);  // a chance to break the limit, were it broken
  EXPECT_EQ(h.engine.messages(), 4u);

  h.engine.release({1, 0});
  EXPECT_EQ(read_acks(client, 2), ids(0, 2));
  ASSERT_TRUE(h.engine.wait_for_messages(6));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(h.engine.messages(), 6u);

  h.engine.release({5, 3, 4, 2});
  EXPECT_EQ(read_acks(client, 4), ids(2, 4));
  ASSERT_TRUE(h.engine.wait_for_messages(10));
  h.engine.release_all();
  EXPECT_EQ(read_acks(client, 4), ids(6, 4));
  EXPECT_EQ(h.engine.messages(), 10u);
}

TEST(MllpListenerTest, PauseSwitchHoldsMessagesUntilSwitchedOff) {
  Harness h(FakeEngine::Mode::immediate);
  RawMllpClient client(h.port());
  ASSERT_TRUE(client.send(frame("C0")));
  EXPECT_EQ(read_acks(client, 1), (std::vector<std::string>{"C0"}));

  h.listener.pause_reading(true);
  ASSERT_TRUE(client.send(frame("C1")));
  RawMllpClient later(h.port());  // connected while paused
  ASSERT_TRUE(later.send(frame("C2")));
  EXPECT_FALSE(client.read_frame(200ms).has_value());
  EXPECT_FALSE(later.read_frame(10ms).has_value());
  EXPECT_EQ(h.engine.messages(), 1u);

  h.listener.pause_reading(false);
  EXPECT_EQ(read_acks(client, 1), (std::vector<std::string>{"C1"}));
  EXPECT_EQ(read_acks(later, 1), (std::vector<std::string>{"C2"}));
}

TEST(MllpListenerTest, HalfClosedPeerStillGetsItsAcks) {
  Harness h(FakeEngine::Mode::held);
  RawMllpClient client(h.port());
  ASSERT_TRUE(client.send(frame("C0") + frame("C1") + frame("C2")));
  client.shutdown_send();
  ASSERT_TRUE(h.engine.wait_for_messages(3));
  h.engine.release({2, 1, 0});
  EXPECT_EQ(read_acks(client, 3), ids(0, 3));
  EXPECT_TRUE(client.wait_closed());
}

TEST(MllpListenerTest, PeerLeavingWhileRepliesArePendingDropsThemQuietly) {
  Harness h(FakeEngine::Mode::held);
  {
    RawMllpClient leaves(h.port());
    ASSERT_TRUE(leaves.send(frame("C0") + frame("C1")));
    RawMllpClient resets(h.port());
    ASSERT_TRUE(resets.send(frame("C2") + frame("C3")));
    ASSERT_TRUE(h.engine.wait_for_messages(4));
    resets.reset();
    ASSERT_TRUE(eventually([&] { return h.counters().connections_open == 1; }));
  }
  h.engine.release({3, 0, 2, 1});
  ASSERT_TRUE(h.engine.wait_replied());
  EXPECT_TRUE(eventually([&] { return h.counters().connections_open == 0; }));

  RawMllpClient next(h.port());
  ASSERT_TRUE(next.send(frame("C4")));
  ASSERT_TRUE(h.engine.wait_for_messages(5));
  h.engine.release_all();
  EXPECT_EQ(read_acks(next, 1), (std::vector<std::string>{"C4"}));
}

TEST(MllpListenerTest, PeerClosingInTheMiddleOfAFrameIsCounted) {
  Harness h(FakeEngine::Mode::immediate);
  {
    RawMllpClient client(h.port());
    ASSERT_TRUE(client.send(frame("C0") + "\x0bMSH|^~\\&|LIS|LAB|HIS|HOSP|2026"));
    EXPECT_EQ(read_acks(client, 1), (std::vector<std::string>{"C0"}));
  }
  EXPECT_TRUE(eventually([&] { return h.counters().frames_abandoned == 1; }));
  EXPECT_TRUE(eventually([&] { return h.counters().connections_open == 0; }));
  EXPECT_EQ(h.engine.messages(), 1u);
}

TEST(MllpListenerTest, StopClosesConnectionsAndStopsAccepting) {
  Harness h(FakeEngine::Mode::immediate);
  RawMllpClient client(h.port());
  ASSERT_TRUE(client.send(frame("C0")));
  ASSERT_EQ(read_acks(client, 1).size(), 1u);
  const std::uint16_t port = h.port();
  h.listener.stop();
  EXPECT_TRUE(client.wait_closed());
  EXPECT_TRUE(eventually([&] { return !RawMllpClient(port).connected(); }));
  EXPECT_TRUE(eventually([&] { return h.counters().connections_open == 0; }));
}

// Enough descriptors for `count` client sockets and as many accepted ones.
bool raise_file_limit(rlim_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return false;
  }
  if (limit.rlim_cur >= wanted) {
    return true;
  }
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < wanted) {
    return false;
  }
  limit.rlim_cur = wanted;
  return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

TEST(MllpListenerTest, ServesAThousandConcurrentConnections) {
  constexpr std::size_t kConnections = 1000;
  if (!raise_file_limit(2 * kConnections + 200)) {
    GTEST_SKIP() << "RLIMIT_NOFILE cannot be raised to " << 2 * kConnections + 200;
  }
  MllpListenerOptions o = options_for_test();
  o.max_connections = 2 * kConnections;
  Harness h(FakeEngine::Mode::shuffled, o);

  std::vector<std::unique_ptr<RawMllpClient>> clients;
  for (std::size_t i = 0; i < kConnections; ++i) {
    clients.push_back(std::make_unique<RawMllpClient>(h.port()));
    ASSERT_TRUE(clients.back()->connected()) << i;
    ASSERT_TRUE(clients.back()->send(frame("C" + std::to_string(i))));
  }
  for (std::size_t i = 0; i < kConnections; ++i) {
    ASSERT_EQ(read_acks(*clients[i], 1), ids(i, 1));
  }
  EXPECT_EQ(h.counters().connections_open.load(), kConnections);
  EXPECT_EQ(h.counters().connections_accepted.load(), kConnections);
  EXPECT_EQ(h.counters().messages_answered.load(), kConnections);
  clients.clear();
  EXPECT_TRUE(eventually([&] { return h.counters().connections_open == 0; }));
}

}  // namespace
}  // namespace hisbridge::mllp
