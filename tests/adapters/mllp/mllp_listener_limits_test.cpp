// The MLLP listener's limits: allow_from, max_connections_per_ip, message_timeout and
// max_frames_per_second, over real sockets on loopback.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "adapters/mllp/framer.hpp"
#include "adapters/mllp/mllp_listener.hpp"
#include "tests/adapters/adapter_test_support.hpp"
#include "tests/adapters/mllp/raw_mllp_client.hpp"
#include "tests/support/log_capture.hpp"

namespace hisbridge::mllp {
namespace {

using testing_support::LogCapture;

using namespace std::chrono_literals;
using testing::FakeSourceCallbacks;
using testing::IoThread;
using testing::RawMllpClient;

std::string message(std::string_view control_id) {
  return "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01^ORU_R01|" + std::string(control_id) +
         "|P|2.5\rPID|1||12345^^^HOSP^MR||NGUYEN^VAN A\r";
}

std::string frame(std::string_view control_id) { return encode_frame(message(control_id)); }

MllpListenerOptions options(const std::string& host = "127.0.0.1") {
  MllpListenerOptions o;
  o.name = "lis";
  o.host = host;
  o.idle_timeout = 30s;
  return o;
}

hisbridge::net::AllowList allow(const std::vector<std::string>& ranges) {
  auto list = hisbridge::net::AllowList::parse(ranges);
  EXPECT_TRUE(list) << (list ? "" : list.error());
  return list ? *list : hisbridge::net::AllowList();
}

struct Listening {
  explicit Listening(MllpListenerOptions o) : listener(io.ioc(), std::move(o), engine) {
    auto started = listener.start();
    EXPECT_TRUE(started) << started.error().message();
  }
  // The replies the fake still holds post to their sessions' strands: they run after the
  // io thread has stopped but before its io_context (and the strands) is destroyed.
  ~Listening() {
    listener.stop();
    io.stop();
    engine.stop();
  }
  std::uint16_t port() const { return listener.port(); }
  const MllpListenerCounters& counters() const { return listener.counters(); }

  // Declared first, destroyed last: the listener's connections call it until the io thread
  // has stopped (a paced read's timer may fire after the listener is stopped).
  FakeSourceCallbacks engine;
  IoThread io;
  MllpListener listener;
};

bool eventually(const std::function<bool()>& done) { return testing::wait_until(done); }

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

bool acknowledged(RawMllpClient& client, const std::string& control_id) {
  const auto ack = client.read_frame();
  return ack && ack->find("MSA|AA|" + control_id) != std::string::npos;
}

TEST(MllpListenerLimitsTest, AnAddressOutsideAllowFromIsClosedBeforeAByteIsRead) {
  MllpListenerOptions o = options();
  o.allow_from = allow({"10.0.0.0/8", "fd00::/8"});
  Listening l(o);
  RawMllpClient client(l.port());
  (void)client.send(frame("C1"));
  EXPECT_TRUE(client.wait_closed(10s));
  EXPECT_EQ(l.counters().connections_refused_not_allowed.load(), 1u);
  EXPECT_EQ(l.counters().connections_accepted.load(), 0u);
  EXPECT_EQ(l.engine.received_count(), 0u);
}

TEST(MllpListenerLimitsTest, AnAllowedAddressIsServed) {
  MllpListenerOptions o = options();
  o.allow_from = allow({"10.0.0.0/8", "127.0.0.0/8"});
  Listening l(o);
  RawMllpClient client(l.port());
  ASSERT_TRUE(client.send(frame("C1")));
  EXPECT_TRUE(acknowledged(client, "C1"));
  EXPECT_EQ(l.counters().connections_refused_not_allowed.load(), 0u);
}

// A listener on :: sees an IPv4 peer as ::ffff:127.0.0.1, which IPv4 ranges match.
TEST(MllpListenerLimitsTest, AnIpv4PeerOfADualStackListenerMatchesIpv4Ranges) {
  MllpListenerOptions o = options("::");
  o.allow_from = allow({"127.0.0.1"});
  Listening l(o);
  RawMllpClient client(l.port());
  ASSERT_TRUE(client.send(frame("C1")));
  EXPECT_TRUE(acknowledged(client, "C1"));
}

TEST(MllpListenerLimitsTest, OneConnectionPastThePerAddressLimitIsClosedAtOnce) {
  MllpListenerOptions o = options();
  o.max_connections_per_ip = 2;
  Listening l(o);
  auto first = std::make_unique<RawMllpClient>(l.port());
  RawMllpClient second(l.port());
  ASSERT_TRUE(first->send(frame("C1")));
  ASSERT_TRUE(second.send(frame("C2")));
  ASSERT_TRUE(acknowledged(*first, "C1"));
  ASSERT_TRUE(acknowledged(second, "C2"));

  RawMllpClient third(l.port());
  EXPECT_TRUE(third.wait_closed(10s));
  EXPECT_EQ(l.counters().connections_refused_per_ip_limit.load(), 1u);
  EXPECT_EQ(l.counters().connections_refused_over_limit.load(), 0u);

  first.reset();  // its place comes back
  ASSERT_TRUE(eventually([&] { return l.counters().connections_open == 1; }));
  RawMllpClient fourth(l.port());
  ASSERT_TRUE(fourth.send(frame("C4")));
  EXPECT_TRUE(acknowledged(fourth, "C4"));
}

TEST(MllpListenerLimitsTest, RefusalsAreCountedEachButLoggedOnceAMinutePerAddress) {
  LogCapture log;
  MllpListenerOptions o = options();
  o.allow_from = allow({"10.0.0.0/8"});
  Listening l(o);
  for (int i = 0; i < 5; ++i) {
    RawMllpClient client(l.port());
    EXPECT_TRUE(client.wait_closed(10s));
  }
  EXPECT_EQ(l.counters().connections_refused_not_allowed.load(), 5u);
  const std::string text = log.text();
  EXPECT_EQ(count(text, "connection from 127.0.0.1 refused: the address is not in allow_from"),
            1u)
      << text;
  EXPECT_NE(text.find("[warning]"), std::string::npos) << text;
}

// A sender of one byte every 100 ms never finishes a message within a second: the connection
// is closed and counted, and nothing is handed in.
TEST(MllpListenerLimitsTest, AMessageTricklingInIsCutOffAtTheMessageTimeout) {
  MllpListenerOptions o = options();
  o.message_timeout = 1s;
  Listening l(o);
  RawMllpClient slow(l.port());
  const std::string bytes = frame("C1");
  std::atomic<bool> stop{false};
  std::thread sender([&] {
    for (const char c : bytes) {
      if (stop || !slow.send(std::string_view(&c, 1))) {
        return;
      }
      std::this_thread::sleep_for(100ms);
    }
  });
  const bool closed = slow.wait_closed(20s);
  stop = true;
  sender.join();
  EXPECT_TRUE(closed);
  EXPECT_EQ(l.counters().message_timeouts.load(), 1u);
  EXPECT_EQ(l.counters().idle_timeouts.load(), 0u);
  EXPECT_EQ(l.engine.received_count(), 0u);
}

TEST(MllpListenerLimitsTest, SlowSendersAreCountedEachButLoggedOnceAMinutePerAddress) {
  LogCapture log;
  MllpListenerOptions o = options();
  o.message_timeout = 1s;
  Listening l(o);
  RawMllpClient first(l.port());
  RawMllpClient second(l.port());
  ASSERT_TRUE(first.send("\x0bMSH|"));  // begun, never finished
  ASSERT_TRUE(second.send("\x0bMSH|"));
  EXPECT_TRUE(first.wait_closed(20s));
  EXPECT_TRUE(second.wait_closed(20s));
  EXPECT_TRUE(eventually([&] { return l.counters().message_timeouts == 2; }));
  EXPECT_EQ(count(log.text(), "is still incomplete"), 1u) << log.text();
}

// Nothing has begun on a connection that sent nothing, or whose messages are all complete: the
// message timeout does not apply (idle_timeout does).
TEST(MllpListenerLimitsTest, CompleteMessagesAndSilenceAreNotCutOff) {
  MllpListenerOptions o = options();
  o.message_timeout = 200ms;
  Listening l(o);
  RawMllpClient client(l.port());
  std::this_thread::sleep_for(600ms);  // silence after the connect
  ASSERT_TRUE(client.send(frame("C1")));
  ASSERT_TRUE(acknowledged(client, "C1"));
  std::this_thread::sleep_for(600ms);  // silence after a complete message
  ASSERT_TRUE(client.send(frame("C2")));
  EXPECT_TRUE(acknowledged(client, "C2"));
  EXPECT_EQ(l.counters().message_timeouts.load(), 0u);
}

// Over max_frames_per_second the listener reads more slowly; every message is still answered.
TEST(MllpListenerLimitsTest, FramesOverTheRateWaitAndAreCountedButNeverDropped) {
  MllpListenerOptions o = options();
  o.max_frames_per_second = 10;
  Listening l(o);
  RawMllpClient client(l.port());
  std::string burst;
  for (int i = 0; i < 25; ++i) {
    burst += frame("C" + std::to_string(i));
  }
  ASSERT_TRUE(client.send(burst));
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(acknowledged(client, "C" + std::to_string(i))) << i;
  }
  EXPECT_EQ(l.engine.received_count(), 25u);
  // The first second's ten go at once; the others wait for their turn.
  EXPECT_GE(l.counters().frames_throttled.load(), 10u);
  EXPECT_LE(l.counters().frames_throttled.load(), 15u);
}

TEST(MllpListenerLimitsTest, WaitingForTheRateIsNotIdleness) {
  MllpListenerOptions o = options();
  o.max_frames_per_second = 4;
  o.idle_timeout = 300ms;
  Listening l(o);
  RawMllpClient client(l.port());
  std::string burst;
  for (int i = 0; i < 12; ++i) {
    burst += frame("C" + std::to_string(i));
  }
  ASSERT_TRUE(client.send(burst));
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(acknowledged(client, "C" + std::to_string(i))) << i;
  }
  EXPECT_GT(l.counters().frames_throttled.load(), 0u);
}

// A config reload: new connections see the new allow-list and per-address limit; the open one
// goes on.
TEST(MllpListenerLimitsTest, NewLimitsApplyToConnectionsAcceptedAfter) {
  Listening l(options());
  RawMllpClient first(l.port());
  ASSERT_TRUE(first.send(frame("C1")));
  ASSERT_TRUE(acknowledged(first, "C1"));

  l.listener.set_limits({allow({"10.0.0.0/8"}), 0, 2min, 0});
  RawMllpClient outside(l.port());
  EXPECT_TRUE(outside.wait_closed(10s));
  EXPECT_EQ(l.counters().connections_refused_not_allowed.load(), 1u);
  ASSERT_TRUE(first.send(frame("C2")));
  EXPECT_TRUE(acknowledged(first, "C2"));

  l.listener.set_limits({allow({"127.0.0.1"}), 1, 2min, 0});  // `first` holds the one place
  RawMllpClient second(l.port());
  EXPECT_TRUE(second.wait_closed(10s));
  EXPECT_EQ(l.counters().connections_refused_per_ip_limit.load(), 1u);
}

}  // namespace
}  // namespace hisbridge::mllp
