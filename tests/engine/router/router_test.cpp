#include "engine/router/router.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "engine/store/open_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge::router {
namespace {

namespace fs = std::filesystem;

class RouterTest : public testing::Test {
 protected:
  void SetUp() override {
    config_.listeners.push_back({});
    config_.listeners[0].name = "lis";
    config::ChannelConfig results;
    results.name = "results";
    results.source = "lis";
    results.filter.message_types = {"ORU^R01"};
    config_.channels.push_back(results);
  }

  std::unique_ptr<store::Store> open() {
    auto s = store::open_store((dir_ / "store.db").string());
    EXPECT_TRUE(s) << (s ? "" : s.error().message());
    return std::move(*s);
  }

  static store::NewMessage message(std::string type, std::string control_id,
                                   store::MessageStatus status = store::MessageStatus::received) {
    store::NewMessage m;
    m.raw = "MSH|^~\\&|LIS|LAB|HIS|H|2026||" + type + "|" + control_id + "|P|2.5\rPID|1||X\r";
    m.source = "lis";
    m.control_id = control_id;
    m.message_type = type;
    m.status = status;
    m.received_at_us = 1;
    return m;
  }

  // Waits (bounded) until no message is left `received`.
  static void wait_until_done(store::Store& s) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      auto stats = s.stats();
      ASSERT_TRUE(stats);
      if (stats->received == 0) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    FAIL() << "messages still received after 20 s";
  }

  testing_support::TempDir temp_{"hisbridge-router"};
  fs::path dir_ = temp_.path();
  config::Config config_;
};

TEST_F(RouterTest, ResumesFromTheStoreAtStartAndKeepsReceiveOrder) {
  auto writer = open();
  std::vector<store::NewMessage> batch;
  for (int i = 0; i < 600; ++i) {
    batch.push_back(message(i % 3 == 0 ? "ADT^A04" : "ORU^R01", "C" + std::to_string(i)));
  }
  batch.push_back(message("ORU^R01", "BAD", store::MessageStatus::rejected));
  ASSERT_TRUE(writer->append(batch, 0));

  Router router(open(), config_);
  router.start();
  wait_until_done(*writer);
  router.stop();
  EXPECT_EQ(router.counters().processed, 600u);
  EXPECT_EQ(router.counters().unrouted, 200u);
  auto stats = writer->stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->processed, 600);
  EXPECT_EQ(stats->rejected, 1) << "rejected messages are never processed";
}

TEST_F(RouterTest, NotifiedWorkIsProcessedAndUndecodableMessagesAreMarkedError) {
  auto writer = open();
  Router router(open(), config_);
  router.start();
  std::vector<store::NewMessage> batch = {message("ORU^R01", "A1")};
  batch.push_back(message("ORU^R01", "A2"));
  batch.back().raw = "not hl7 at all";
  ASSERT_TRUE(writer->append(batch, 0));
  router.notify("lis");
  wait_until_done(*writer);
  router.stop();
  EXPECT_EQ(router.counters().processed, 1u);
  EXPECT_EQ(router.counters().failed, 1u);
  store::MessageQuery q;
  q.status = store::MessageStatus::error;
  auto errors = writer->find(q);
  ASSERT_TRUE(errors);
  ASSERT_EQ(errors->size(), 1u);
  EXPECT_NE(errors->front().message.error.find("MSH"), std::string::npos);
}

TEST_F(RouterTest, TakesOnlyMessagesNotifiedAsDurable) {
  auto writer = open();
  Router router(open(), config_);
  router.start();  // the store is empty: nothing is durable yet
  auto appended = writer->append(
      std::vector<store::NewMessage>{message("ORU^R01", "D1"), message("ORU^R01", "D2"),
                                     message("ORU^R01", "D3")},
      0);
  ASSERT_TRUE(appended);
  router.notify("lis", (*appended)[0].id);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (router.counters().processed.load() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(router.counters().processed.load(), 1u);
  // A later wake-up without news about D2 and D3 leaves them alone.
  router.notify("lis", (*appended)[0].id);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(router.counters().processed.load(), 1u);
  EXPECT_EQ(writer->get((*appended)[1].id)->message.status, store::MessageStatus::received);

  router.notify("lis", (*appended)[2].id);
  wait_until_done(*writer);
  router.stop();
  EXPECT_EQ(router.counters().processed.load(), 3u);
}

// A replay sets processed messages back to `received` below the router's cursor: rewind()
// has them taken again at once, and they are not counted as new work of the source.
TEST_F(RouterTest, RewindTakesReplayedMessagesAgain) {
  auto writer = open();
  Router router(open(), config_);
  router.start();
  auto appended = writer->append(
      std::vector<store::NewMessage>{message("ORU^R01", "R1"), message("ORU^R01", "R2"),
                                     message("ADT^A04", "R3")},
      0);
  ASSERT_TRUE(appended);
  for (int i = 0; i < 3; ++i) {
    router.notify("lis", (*appended)[2].id);
  }
  wait_until_done(*writer);
  ASSERT_EQ(router.counters().processed.load(), 3u);  // the ADT^A04 one unrouted among them
  ASSERT_EQ(router.counters().unrouted.load(), 1u);
  const std::vector<std::int64_t> again{(*appended)[0].id, (*appended)[2].id};
  ASSERT_EQ(*writer->reprocess(again), 2u);
  router.rewind("lis");
  wait_until_done(*writer);
  router.stop();
  EXPECT_EQ(router.counters().processed.load(), 5u);
  EXPECT_EQ(router.counters().unrouted.load(), 2u);
  const SourceCounters* lis = router.source_counters("lis");
  ASSERT_NE(lis, nullptr);
  EXPECT_EQ(lis->queued.load(), 3u);
  EXPECT_EQ(lis->done.load(), 3u) << "a replayed message is not new work done";
  EXPECT_EQ(writer->get((*appended)[0].id)->message.status, store::MessageStatus::processed);
}

// The CLI writes a replay from another process and cannot call rewind(): the router reads
// every source from its first `received` message once a second.
TEST_F(RouterTest, AReplayWrittenElsewhereIsTakenWithoutBeingAnnounced) {
  auto writer = open();
  auto appended = writer->append(
      std::vector<store::NewMessage>{message("ORU^R01", "S1"), message("ORU^R01", "S2")}, 0);
  ASSERT_TRUE(appended);
  Router router(open(), config_);
  router.start();
  wait_until_done(*writer);
  ASSERT_EQ(router.counters().processed.load(), 2u);
  ASSERT_EQ(*writer->reprocess(std::vector<std::int64_t>{(*appended)[0].id}), 1u);
  wait_until_done(*writer);
  router.stop();
  EXPECT_EQ(router.counters().processed.load(), 3u);
}

}  // namespace
}  // namespace hisbridge::router
