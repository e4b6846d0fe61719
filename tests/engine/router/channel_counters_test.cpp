// What the router counts per channel, destination and source (ChannelCounters,
// SourceCounters), with a real SqliteStore in a temp folder and destinations that answer what
// the test tells them. Waits poll with a deadline; nothing asserts on how long anything took.
#include "engine/router/channel_counters.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "engine/mapping/mapping.hpp"
#include "engine/router/router.hpp"
#include "engine/store/open_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge::router {
namespace {

namespace fs = std::filesystem;

TEST(ChannelCountersTest, CountsByTypeAndOutcome) {
  ChannelCounters c("results", {"his", "fhir"});
  c.count_type("ORU^R01", false);
  c.count_type("ORU^R01", false);
  c.count_type("ORU^R01", true);
  c.count_type("ADT^A01", false);
  const auto counts = c.by_type();
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts[0].type, "ADT^A01");
  EXPECT_EQ(counts[1].type, "ORU^R01");
  EXPECT_FALSE(counts[1].failed);
  EXPECT_EQ(counts[1].messages, 2u);
  EXPECT_TRUE(counts[2].failed);
  EXPECT_EQ(counts[2].messages, 1u);
  ASSERT_EQ(c.destinations.size(), 2u);
  EXPECT_EQ(c.destinations[1].name, "fhir");
}

TEST(ChannelCountersTest, TypesBeyondTheLimitAreCountedAsOther) {
  ChannelCounters c("results", {});
  for (std::size_t i = 0; i < ChannelCounters::kMaxTypes + 10; ++i) {
    c.count_type("Z" + std::to_string(i), false);
  }
  c.count_type("Z0", true);  // a known type keeps its name, whatever the outcome
  const auto counts = c.by_type();
  std::uint64_t other = 0;
  std::size_t named = 0;
  for (const auto& t : counts) {
    if (t.type == "other") {
      other += t.messages;
    } else {
      ++named;
    }
  }
  EXPECT_EQ(other, 10u);
  EXPECT_EQ(named, ChannelCounters::kMaxTypes + 1);  // Z0 twice: delivered and failed
}

// Answers `failed` for the control ids in `fail`, `retry` while `down` is set.
class Answering final : public Destination {
 public:
  explicit Answering(std::string name) : name_(std::move(name)) {}
  const std::string& name() const override { return name_; }
  Delivery deliver(const DeliveryItem& item) override {
    if (down.load()) {
      return Delivery::retry("down");
    }
    return item.stored.message.control_id == fail ? Delivery::failed("refused")
                                                  : Delivery::delivered();
  }
  std::atomic<bool> down{false};
  std::string fail;

 private:
  std::string name_;
};

class RouterCountersTest : public testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"lis", "ris"}) {
      config_.listeners.push_back({});
      config_.listeners.back().name = name;
    }
    writer_ = open();
  }
  void TearDown() override {
    writer_.reset();
  }

  std::unique_ptr<store::Store> open() {
    auto s = store::open_store((dir_ / "store.db").string());
    EXPECT_TRUE(s) << (s ? "" : s.error().message());
    return s ? std::move(*s) : nullptr;
  }

  Channel channel(const std::string& name, const std::string& source,
                  std::vector<std::string> types, std::shared_ptr<Destination> d) {
    config::ChannelConfig c;
    c.name = name;
    c.source = source;
    c.filter.message_types = std::move(types);
    config_.channels.push_back(c);
    return {c, {}, {std::move(d)}};
  }

  // Appends and tells the router, as ingest does after each commit.
  void receive(Router& router, const std::string& source, const std::string& type,
               const std::string& control_id) {
    store::NewMessage m;
    m.raw = "MSH|^~\\&|LIS|LAB|HIS|H|2026||" + type + "|" + control_id + "|P|2.5\rPID|1||X\r";
    m.source = source;
    m.control_id = control_id;
    m.message_type = type;
    m.received_at_us = 1;
    auto appended = writer_->append({&m, 1}, 0);
    ASSERT_TRUE(appended);
    router.notify(source, appended->front().id);
  }

  bool all_done() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      auto stats = writer_->stats();
      if (stats && stats->received == 0) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  testing_support::TempDir temp_{"hisbridge-router-counters"};
  fs::path dir_ = temp_.path();
  config::Config config_;
  std::unique_ptr<store::Store> writer_;
};

TEST_F(RouterCountersTest, CountsPerChannelDestinationAndSource) {
  auto his = std::make_shared<Answering>("his");
  his->fail = "M2";
  auto rad = std::make_shared<Answering>("rad-his");
  std::vector<Channel> channels;
  channels.push_back(channel("results", "lis", {"ORU"}, his));
  channels.push_back(channel("reports", "ris", {"ORU"}, rad));
  Router router(open(), config_, {}, std::move(channels));
  router.start();
  receive(router, "lis", "ORU^R01", "M1");
  receive(router, "lis", "ORU^R01", "M2");
  receive(router, "lis", "ADT^A01", "M3");  // no channel takes it
  receive(router, "ris", "ORU^R01", "R1");
  ASSERT_TRUE(all_done());
  router.stop();

  const auto& channels_counted = router.channel_counters();
  ASSERT_EQ(channels_counted.size(), 2u);
  const ChannelCounters& results = channels_counted[0];
  EXPECT_EQ(results.name(), "results");
  // Both taken and queued: what the destination makes of them is its delivery worker's count
  // (delivery_worker_test), which the router's counters only hold.
  EXPECT_EQ(results.processed.load(), 2u);
  EXPECT_EQ(results.failed.load(), 0u);
  EXPECT_EQ(results.destinations[0].name, "his");
  EXPECT_EQ(results.destinations[0].delivered.load(), 0u);
  EXPECT_EQ(results.destinations[0].failed.load(), 0u);
  const auto types = results.by_type();
  ASSERT_EQ(types.size(), 1u);
  EXPECT_EQ(types[0].type, "ORU^R01");
  EXPECT_EQ(types[0].messages, 2u);
  EXPECT_FALSE(types[0].failed);
  EXPECT_EQ(channels_counted[1].processed.load(), 1u);

  const SourceCounters* lis = router.source_counters("lis");
  ASSERT_NE(lis, nullptr);
  EXPECT_EQ(lis->queued.load(), 3u);
  EXPECT_EQ(lis->done.load(), 3u);
  EXPECT_EQ(lis->unrouted.load(), 1u);
  EXPECT_EQ(lis->waiting(), 0u);
  EXPECT_EQ(router.source_counters("ris")->done.load(), 1u);
  EXPECT_EQ(router.source_counters("nope"), nullptr);
}

TEST_F(RouterCountersTest, WaitingCountsWhatAMappingNotLoadedHoldsBack) {
  auto his = std::make_shared<Answering>("his");
  std::vector<Channel> channels;
  channels.push_back(channel("results", "lis", {}, his));
  std::mutex mutex;
  std::shared_ptr<const mapping::Mapping> current;  // guarded by mutex: none loaded yet
  channels[0].mapping = [&] {
    const std::lock_guard lock(mutex);
    return current;
  };
  Router router(open(), config_, {}, std::move(channels));
  router.start();
  for (const char* id : {"M1", "M2", "M3"}) {
    receive(router, "lis", "ORU^R01", id);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (router.counters().retries.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(router.counters().retries.load(), 1u);
  EXPECT_EQ(router.source_counters("lis")->waiting(), 3u);
  EXPECT_EQ(router.channel_counters()[0].processed.load(), 0u);

  auto program = mapping::load_mapping_text(
      R"({"mapping": "ids", "messages": ["ORU^R01"],
          "records": [{"table": "ids", "key": ["id"], "columns": {"id": "MSH-10"}}]})",
      dir_ / "ids.json");
  ASSERT_TRUE(program) << (program ? "" : program.error().front().to_string());
  {
    const std::lock_guard lock(mutex);
    current = std::make_shared<const mapping::Mapping>(*program);
  }
  ASSERT_TRUE(all_done());
  router.stop();
  EXPECT_EQ(router.source_counters("lis")->waiting(), 0u);
  EXPECT_EQ(router.channel_counters()[0].processed.load(), 3u);
}

// Messages left `received` by an earlier run are processed and counted per channel, but are
// not in the source's queue figures (the router was never told of them).
TEST_F(RouterCountersTest, ABacklogFromBeforeTheStartIsNotCountedAsQueued) {
  store::NewMessage m;
  m.raw = "MSH|^~\\&|LIS|LAB|HIS|H|2026||ORU^R01|OLD1|P|2.5\r";
  m.source = "lis";
  m.control_id = "OLD1";
  m.message_type = "ORU^R01";
  m.received_at_us = 1;
  ASSERT_TRUE(writer_->append({&m, 1}, 0));
  auto his = std::make_shared<Answering>("his");
  std::vector<Channel> channels;
  channels.push_back(channel("results", "lis", {}, his));
  Router router(open(), config_, {}, std::move(channels));
  router.start();
  ASSERT_TRUE(all_done());
  receive(router, "lis", "ORU^R01", "NEW1");
  ASSERT_TRUE(all_done());
  router.stop();
  EXPECT_EQ(router.channel_counters()[0].processed.load(), 2u);
  EXPECT_EQ(router.source_counters("lis")->queued.load(), 1u);
  EXPECT_EQ(router.source_counters("lis")->done.load(), 1u);
}

}  // namespace
}  // namespace hisbridge::router
