// The router handing the turnaround timeline its marks: a real SqliteStore and a real SQLite
// timeline beside it in a temp folder, a real timeline worker recording them, a real mapping
// with events, and a scripted destination. A thin wrapper around the router's timeline counts
// enqueue() calls and can be told to fail. Waits poll the store and the worker with a generous
// deadline; nothing asserts on how long anything took.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/mapping/mapping.hpp"
#include "engine/router/router.hpp"
#include "engine/store/open_store.hpp"
#include "engine/timeline/timeline_store.hpp"
#include "engine/timeline/timeline_worker.hpp"
#include "tests/support/forwarding_timeline.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait_until.hpp"

namespace hisbridge::router {
namespace {

namespace fs = std::filesystem;
using timeline::RecordedInterval;

// One his_order row per ORU^R01 with the `ordered` event and, for a final result, `final`.
const char* const kMapping = R"({
  "mapping": "orders",
  "discipline": "LAB",
  "messages": ["ORU^R01"],
  "records": [
    {"table": "his_order", "key": ["order_no"],
     "columns": {"order_no": "OBR-2.1", "discipline": {"const": "LAB"},
                 "priority": "OBR-5.1", "department": "PV1-3.1",
                 "status": "OBR-25",
                 "ordered_at": {"path": "OBR-6.1", "transform": ["datetime"]},
                 "reported_at": {"path": "OBR-22.1", "transform": ["datetime"]}},
     "events": [{"kind": "ordered", "time": {"column": "ordered_at"}},
                {"kind": "final", "time": {"column": "reported_at"},
                 "when": {"value": {"column": "status"}, "equals": "F"}}]}
  ]
})";

// Forwards to a real timeline; counts enqueue() calls and the marks each was given, and fails
// them while told to.
class WatchedTimeline final : public testing_support::ForwardingTimeline {
 public:
  using ForwardingTimeline::ForwardingTimeline;

  Result<void> enqueue(std::span<const timeline::Mark> marks) override {
    const std::lock_guard lock(mutex_);
    calls_.push_back(marks.size());
    if (fail_) {
      return store::StoreError::io;
    }
    return ForwardingTimeline::enqueue(marks);
  }

  void fail(bool f) {
    const std::lock_guard lock(mutex_);
    fail_ = f;
  }
  std::vector<std::size_t> calls() const {
    const std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  mutable std::mutex mutex_;
  bool fail_ = false;
  std::vector<std::size_t> calls_;
};

// Delivers everything, or asks to retry while told to.
class ToggledDestination final : public Destination {
 public:
  const std::string& name() const override { return name_; }
  Delivery deliver(const DeliveryItem&) override {
    ++calls_;
    return retry_ ? Delivery::retry("server down") : Delivery::delivered();
  }
  std::atomic<bool> retry_{false};
  std::atomic<int> calls_{0};

 private:
  std::string name_ = "his";
};

class RouterTimelineTest : public testing::Test {
 protected:
  void SetUp() override {
    config_.listeners.push_back({});
    config_.listeners.back().name = "lis";
    auto s = store::open_store(location());
    ASSERT_TRUE(s) << s.error().message();
    writer_ = std::move(*s);
    auto t = timeline::open_timeline(location(), timeline::default_intervals());
    ASSERT_TRUE(t) << t.error().message();
    watched_ = new WatchedTimeline(std::move(*t));
    router_timeline_.store.reset(watched_);
    auto drainer = timeline::open_timeline(location(), timeline::default_intervals());
    ASSERT_TRUE(drainer) << drainer.error().message();
    worker_ = std::make_unique<timeline::TimelineWorker>(
        std::move(*drainer), [this](std::span<const RecordedInterval> recorded) {
          const std::lock_guard lock(mutex_);
          recorded_.insert(recorded_.end(), recorded.begin(), recorded.end());
        });
    router_timeline_.on_enqueued = [worker = worker_.get()] { worker->notify(); };
    worker_->start();
    auto checker = timeline::open_timeline(location(), timeline::default_intervals());
    ASSERT_TRUE(checker) << checker.error().message();
    checker_ = std::move(*checker);
  }
  void TearDown() override {
    worker_.reset();
    writer_.reset();
    checker_.reset();
  }

  std::string location() const { return (dir_ / "store.db").string(); }

  std::vector<Channel> channels(bool with_destination = true) {
    auto program = mapping::load_mapping_text(kMapping, dir_ / "orders.json");
    EXPECT_TRUE(program);
    const auto mapping = std::make_shared<const mapping::Mapping>(*program);
    config::ChannelConfig c;
    c.name = "results";
    c.source = "lis";
    config_.channels.push_back(c);
    std::vector<std::shared_ptr<Destination>> destinations;
    if (with_destination) {
      destinations.push_back(destination_);
    }
    std::vector<Channel> out;
    out.push_back({c, [mapping] { return mapping; }, std::move(destinations)});
    return out;
  }

  std::unique_ptr<Router> router(std::vector<Channel> channels, Router::StatusWriter writer = {}) {
    auto reader = store::open_store(location());
    EXPECT_TRUE(reader);
    return std::make_unique<Router>(std::move(*reader), config_, std::move(writer),
                                    std::move(channels), std::move(router_timeline_));
  }

  // An ORU^R01 for `order`, ordered at `ordered` (HL7 time) and reported at `reported`
  // with result status `status`.
  static store::NewMessage oru(const std::string& control_id, const std::string& order,
                               const std::string& priority, const std::string& ordered,
                               const std::string& reported, const std::string& status = "F") {
    store::NewMessage m;
    m.raw = "MSH|^~\\&|LIS|LAB|HIS|H|20260305081500+0700||ORU^R01^ORU_R01|" + control_id +
            "|P|2.5\rPID|1||P1^^^H^MR\rPV1|1|O|CC\rOBR|1|" + order + "||GLU^Glucose|" +
            priority + "|" + ordered + "||||||||||||||||" + reported + "|||" + status +
            "\rOBX|1|NM|GLU^Glucose|1|5.4|mmol/L\r";
    m.source = "lis";
    m.control_id = control_id;
    m.sending_application = "LIS";
    m.sending_facility = "LAB";
    m.message_type = "ORU^R01";
    m.received_at_us = 1772676900LL * 1'000'000;  // 2026-03-05T09:15+07:00
    return m;
  }

  std::vector<std::int64_t> append(const std::vector<store::NewMessage>& batch) {
    auto appended = writer_->append(batch, 0);
    EXPECT_TRUE(appended) << (appended ? "" : appended.error().message());
    std::vector<std::int64_t> ids;
    for (const auto& a : appended ? *appended : std::vector<store::Appended>{}) {
      ids.push_back(a.id);
    }
    return ids;
  }

  static bool eventually(const std::function<bool()>& done) {
    return testing_support::wait_until(done, std::chrono::seconds(20));
  }

  // Every message processed and every mark handed over recorded.
  bool all_done() {
    return eventually([this] {
      auto stats = writer_->stats();
      return stats && stats->received == 0 && worker_->caught_up();
    });
  }

  // Every interval of `name` whose to end lies anywhere.
  std::vector<timeline::IntervalRow> stored_intervals(const std::string& name) {
    timeline::IntervalQuery q;
    q.interval = name;
    q.from_us = 0;
    q.to_us = std::numeric_limits<std::int64_t>::max();
    auto rows = checker_->intervals(q);
    EXPECT_TRUE(rows) << (rows ? "" : rows.error().message());
    return rows ? *rows : std::vector<timeline::IntervalRow>{};
  }

  std::vector<RecordedInterval> recorded() {
    const std::lock_guard lock(mutex_);
    return recorded_;
  }

  testing_support::TempDir temp_{"hisbridge-router-timeline"};
  fs::path dir_ = temp_.path();
  config::Config config_;
  std::unique_ptr<store::Store> writer_;
  std::unique_ptr<timeline::TimelineStore> checker_;
  WatchedTimeline* watched_ = nullptr;  // owned by router_timeline_, then by the router
  std::unique_ptr<timeline::TimelineWorker> worker_;
  RouterTimeline router_timeline_;
  std::shared_ptr<ToggledDestination> destination_ = std::make_shared<ToggledDestination>();
  std::mutex mutex_;
  std::vector<RecordedInterval> recorded_;  // guarded by mutex_
};

// The `accepted`/`delivered` marks come from the delivery workers (delivery_worker_test); the
// router hands over the clinical events.
TEST_F(RouterTimelineTest, HandsABatchsEventsOverInOneCall) {
  append({oru("M1", "XN-1", "S", "202603050800+0700", "202603050830+0700"),
          oru("M2", "XN-2", "R", "202603050700+0700", "202603051200+0700"),
          oru("M3", "XN-3", "R", "202603050900+0700", "202603050910+0700", "P")});
  auto r = router(channels());
  r->start();
  ASSERT_TRUE(all_done());
  r->stop();

  // Three messages: ordered x3, final x2.
  EXPECT_EQ(watched_->calls(), std::vector<std::size_t>{5});
  auto lab = stored_intervals("lab_order_to_final");
  ASSERT_EQ(lab.size(), 2u);
  std::sort(lab.begin(), lab.end(),
            [](const auto& a, const auto& b) { return a.duration_us < b.duration_us; });
  EXPECT_EQ(lab[0].duration_us, 1800LL * 1'000'000);
  EXPECT_EQ(lab[0].priority, "S");
  EXPECT_EQ(lab[0].department, "CC");
  EXPECT_EQ(lab[1].duration_us, 5 * 3600LL * 1'000'000);
  EXPECT_EQ(lab[1].priority, "R");
  EXPECT_TRUE(stored_intervals("delivery_latency").empty());

  // What the histogram observes: each interval once, as first.
  std::size_t lab_first = 0;
  for (const RecordedInterval& i : recorded()) {
    EXPECT_TRUE(i.first);
    lab_first += i.interval == "lab_order_to_final" ? 1u : 0u;
  }
  EXPECT_EQ(lab_first, 2u);
  EXPECT_EQ(r->counters().timeline_errors, 0u);
  EXPECT_EQ(r->counters().timeline_skipped_events, 0u);
}

TEST_F(RouterTimelineTest, AChannelWithoutDestinationsRecordsEventsButNoDelivery) {
  append({oru("M1", "XN-1", "S", "202603050800+0700", "202603050830+0700")});
  auto r = router(channels(false));
  r->start();
  ASSERT_TRUE(all_done());
  r->stop();
  EXPECT_EQ(stored_intervals("lab_order_to_final").size(), 1u);
  EXPECT_TRUE(stored_intervals("delivery_latency").empty());
}

TEST_F(RouterTimelineTest, ATimelineFailureIsCountedAndProcessingGoesOn) {
  watched_->fail(true);
  const auto ids = append({oru("M1", "XN-1", "S", "202603050800+0700", "202603050830+0700"),
                           oru("M2", "XN-2", "S", "202603050800+0700", "202603050830+0700")});
  auto r = router(channels());
  r->start();
  ASSERT_TRUE(all_done());
  r->stop();
  for (const std::int64_t id : ids) {
    EXPECT_EQ(writer_->get(id)->message.status, store::MessageStatus::processed);
  }
  EXPECT_EQ(r->counters().timeline_errors, 1u);
  EXPECT_EQ(r->counters().processed, 2u);
  EXPECT_TRUE(recorded().empty());
}

TEST_F(RouterTimelineTest, MarksHeldThroughATimelineFailureAreRecordedOnceItPasses) {
  // The timeline's database fails (a full disk), messages are processed and delivered
  // meanwhile; once it takes marks again, those held are handed without a new message.
  watched_->fail(true);
  append({oru("M1", "XN-1", "S", "202603050800+0700", "202603050830+0700"),
          oru("M2", "XN-2", "R", "202603050700+0700", "202603051200+0700")});
  auto r = router(channels());
  r->start();
  ASSERT_TRUE(all_done());
  EXPECT_TRUE(stored_intervals("lab_order_to_final").empty());
  EXPECT_EQ(r->timeline_held_marks(), 4u);
  watched_->fail(false);
  EXPECT_TRUE(testing_support::wait_until(
      [&] { return stored_intervals("lab_order_to_final").size() == 2; },
      std::chrono::seconds(20)));
  r->stop();
  EXPECT_EQ(r->timeline_held_marks(), 0u);
  // The batch's 4 marks (ordered x2, final x2) at the first call, then again until taken.
  const std::vector<std::size_t> calls = watched_->calls();
  ASSERT_GE(calls.size(), 2u);
  EXPECT_TRUE(std::all_of(calls.begin(), calls.end(), [](std::size_t n) { return n == 4; }));
  EXPECT_EQ(r->counters().timeline_errors, 1u);  // the batch's failure; retries are not counted
}

TEST_F(RouterTimelineTest, EventsWithoutAReadableTimeAreCounted) {
  // A date alone names no instant: the `ordered` event is left out, the message delivered.
  const auto ids = append({oru("M1", "XN-1", "S", "20260305", "202603050830+0700")});
  auto r = router(channels());
  r->start();
  ASSERT_TRUE(all_done());
  r->stop();
  EXPECT_EQ(writer_->get(ids[0])->message.status, store::MessageStatus::processed);
  EXPECT_EQ(r->counters().timeline_skipped_events, 1u);
  EXPECT_TRUE(stored_intervals("lab_order_to_final").empty());
}

TEST_F(RouterTimelineTest, ABatchDoneAgainAfterItsStatusesFailedRecordsNothingTwice) {
  // The statuses of the first attempt are not written (as after a crash between the two):
  // the batch is processed and handed over again, and its second recording reports nothing
  // new.
  std::atomic<int> writes{0};
  auto status_store = store::open_store(location());
  ASSERT_TRUE(status_store);
  std::shared_ptr<store::Store> statuses = std::move(*status_store);
  Router::StatusWriter writer = [&writes, statuses](std::span<const store::StatusUpdate> u)
      -> Result<void> {
    if (writes++ == 0) {
      return store::StoreError::busy;
    }
    return statuses->set_statuses(u);
  };
  append({oru("M1", "XN-1", "S", "202603050800+0700", "202603050830+0700"),
          oru("M2", "XN-2", "R", "202603050700+0700", "202603051200+0700")});
  auto r = router(channels(), writer);
  r->start();
  ASSERT_TRUE(all_done());
  r->stop();
  EXPECT_EQ(watched_->calls().size(), 2u);
  EXPECT_EQ(stored_intervals("lab_order_to_final").size(), 2u);
  std::size_t lab = 0;
  for (const RecordedInterval& i : recorded()) {
    lab += i.interval == "lab_order_to_final" ? 1u : 0u;
  }
  EXPECT_EQ(lab, 2u) << "each interval reported once, though recorded twice";
}

}  // namespace
}  // namespace hisbridge::router
