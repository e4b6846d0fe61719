// The run loop against a fake engine and a clock that moves only when the runner sleeps:
// ACKs counted per destination, the malformed messages' AR expected, a destination that
// refuses the first connection ends the run, one that goes away and comes back is waited for
// and the unanswered message sent again, and a stop request ends the run early.
#include "engine/simulate/runner.hpp"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace hisbridge::simulate {
namespace {

using std::chrono::seconds;

constexpr SimTime kStart = 1772643600;  // 2026-03-05T00:00:00+07:00

class FakeClock final : public WallClock {
 public:
  Pacer::Clock::time_point now() override { return now_; }
  void sleep_until(Pacer::Clock::time_point when) override {
    now_ = std::max(now_, when);
    ++sleeps;
  }
  int sleeps = 0;

 private:
  Pacer::Clock::time_point now_{seconds(5000)};
};

std::string ack(const char* code, const std::string& control_id) {
  return "MSH|^~\\&|HB|HB|X|X|20260305000000+0000||ACK|HB1|P|2.5\rMSA|" + std::string(code) + "|" +
         control_id + "\r";
}

// Answers like the engine: AR to what it cannot read, AA to the rest; `script` overrides the
// answer to the n-th call (1-based) with a failure.
class FakeEngine final : public Sink {
 public:
  SendOutcome send(const Outgoing& m) override {
    ++calls;
    sent.push_back(m.control_id);
    if (auto it = script.find(calls); it != script.end()) {
      return {it->second, {}, "scripted failure"};
    }
    if (always_refuse) {
      return {SendOutcome::Kind::refused, {}, "connection refused"};
    }
    const bool readable = m.bytes.starts_with("MSH") && !m.malformed;
    return {SendOutcome::Kind::acknowledged, ack(readable ? "AA" : "AR", m.control_id), {}};
  }
  std::string address(Destination d) const override {
    return d == Destination::lis ? "127.0.0.1:2575" : "127.0.0.1:2576";
  }

  std::map<std::size_t, SendOutcome::Kind> script;
  bool always_refuse = false;
  std::size_t calls = 0;
  std::vector<std::string> sent;
};

SimulationOptions small_day() {
  SimulationOptions o;
  o.seed = 12;
  o.patients_per_day = 60;
  o.start = kStart;
  o.duration = kDay;
  o.malformed_rate = 0.03;
  return o;
}

struct Fixture {
  SimulationOptions options = small_day();
  TrafficGenerator traffic{options};
  FakeEngine engine;
  FakeClock clock;
  // The whole day is before the live point: sent at the rate alone.
  Pacer pacer{kStart + 2 * kDay, clock.now(), 1, 1000};
  std::ostringstream out;
  RunSettings settings;

  RunReport run() {
    Runner runner(traffic, engine, pacer, clock, out, settings, options.offset);
    return runner.run();
  }
};

TEST(RunnerTest, CountsEveryAckPerDestination) {
  Fixture f;
  const RunReport report = f.run();
  EXPECT_TRUE(report.completed);
  EXPECT_TRUE(report.failure.empty());
  const TrafficCounts& c = f.traffic.counts();
  const Tally& lis = report.tally(Destination::lis);
  const Tally& ris = report.tally(Destination::ris);
  EXPECT_EQ(lis.sent, c.lis);
  EXPECT_EQ(ris.sent, c.ris);
  EXPECT_EQ(lis.rejected + ris.rejected, c.malformed);
  EXPECT_GT(c.malformed, 0u);
  EXPECT_EQ(lis.accepted + lis.rejected, lis.sent);
  EXPECT_EQ(lis.unexpected + ris.unexpected, 0u);
  // At most one message per millisecond: the fake clock moved at least that far.
  EXPECT_GE(f.clock.sleeps, 1);
  EXPECT_NE(f.out.str().find("lis: " + tally_line(lis)), std::string::npos) << f.out.str();
}

TEST(RunnerTest, AnAckThatDoesNotFitTheMessageIsCountedAsUnexpected) {
  Fixture f;
  f.options.malformed_rate = 0;
  TrafficGenerator clean(f.options);
  class Rejecting final : public Sink {
   public:
    SendOutcome send(const Outgoing& m) override {
      return {SendOutcome::Kind::acknowledged,
              ack(m.step == Step::lab_final ? "AE" : "AA", m.control_id),
              {}};
    }
    std::string address(Destination) const override { return "x"; }
  } sink;
  Runner runner(clean, sink, f.pacer, f.clock, f.out, f.settings, f.options.offset);
  const RunReport report = runner.run();
  EXPECT_EQ(report.tally(Destination::lis).errors, clean.counts().step(Step::lab_final));
  EXPECT_EQ(report.tally(Destination::lis).unexpected, clean.counts().step(Step::lab_final));
}

TEST(RunnerTest, ARefusedFirstConnectionEndsTheRunAtOnce) {
  Fixture f;
  f.engine.always_refuse = true;
  const RunReport report = f.run();
  EXPECT_FALSE(report.completed);
  EXPECT_EQ(f.engine.calls, 1u);
  EXPECT_NE(report.failure.find("127.0.0.1:2575: connection refused"), std::string::npos)
      << report.failure;
  EXPECT_NE(report.failure.find("hisbridge serve"), std::string::npos);
}

// The 1-based number of the first message after the second one that goes to a destination
// which has answered before, and that destination.
std::pair<std::size_t, Destination> first_to_a_reached_destination(const SimulationOptions& o) {
  TrafficGenerator traffic(o);
  bool seen[2] = {false, false};
  for (std::size_t n = 1;; ++n) {
    const Outgoing m = traffic.next().value();
    const auto d = static_cast<std::size_t>(m.destination);
    if (seen[d] && n > 2) {
      return {n, m.destination};
    }
    seen[d] = true;
  }
}

TEST(RunnerTest, AnEngineThatRestartsIsWaitedForAndTheMessageSentAgain) {
  Fixture f;
  const auto [n, destination] = first_to_a_reached_destination(f.options);
  f.engine.script = {{n, SendOutcome::Kind::lost},
                     {n + 1, SendOutcome::Kind::refused},
                     {n + 2, SendOutcome::Kind::refused}};
  const RunReport report = f.run();
  EXPECT_TRUE(report.completed) << report.failure;
  EXPECT_EQ(report.tally(destination).resent, 1u);
  // The n-th message went out three more times, the last one answered.
  ASSERT_GE(f.engine.sent.size(), n + 3);
  EXPECT_EQ(f.engine.sent[n - 1], f.engine.sent[n + 2]);
  EXPECT_EQ(report.tally(Destination::lis).sent + report.tally(Destination::ris).sent,
            f.traffic.counts().messages);
  EXPECT_NE(f.out.str().find("trying again"), std::string::npos);
}

TEST(RunnerTest, AnEngineGoneForLongerThanTheWindowEndsTheRun) {
  Fixture f;
  f.settings.reconnect_window = seconds(10);
  const std::size_t n = first_to_a_reached_destination(f.options).first;
  for (std::size_t call = n; call < n + 40; ++call) {
    f.engine.script[call] = SendOutcome::Kind::refused;
  }
  const RunReport report = f.run();
  EXPECT_FALSE(report.completed);
  EXPECT_NE(report.failure.find("scripted failure"), std::string::npos) << report.failure;
  EXPECT_LT(f.engine.calls, 12u);  // a few tries within the window, not one per message
}

TEST(RunnerTest, AStopRequestEndsTheRunWithItsCounts) {
  Fixture f;
  std::atomic<bool> stop{false};
  f.settings.stop = &stop;
  // Messages after the live point wait for the simulated clock: the run sleeps in slices.
  f.pacer = Pacer(kStart + 2 * kHour, f.clock.now(), 1, 0);
  class StopAfter final : public Sink {
   public:
    explicit StopAfter(std::atomic<bool>& stop) : stop_(stop) {}
    SendOutcome send(const Outgoing& m) override {
      if (++calls == 3) {
        stop_.store(true);
      }
      return {SendOutcome::Kind::acknowledged, ack("AA", m.control_id), {}};
    }
    std::string address(Destination) const override { return "x"; }
    std::size_t calls = 0;

   private:
    std::atomic<bool>& stop_;
  } sink(stop);
  Runner runner(f.traffic, sink, f.pacer, f.clock, f.out, f.settings, f.options.offset);
  const RunReport report = runner.run();
  EXPECT_TRUE(report.interrupted);
  EXPECT_FALSE(report.completed);
  EXPECT_EQ(sink.calls, 3u);
}

}  // namespace
}  // namespace hisbridge::simulate
