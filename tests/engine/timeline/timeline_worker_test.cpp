// The timeline worker over a real SQLite timeline in a temp folder: marks one connection
// enqueues are recorded on the worker's own, whether notified, left before start() or left at
// stop(); a failing drain leaves them in the inbox until the store recovers, and intervals
// recorded while the inbox cannot be emptied are counted once. Waits poll the
// worker and the files with a generous deadline; nothing asserts on how long anything took.
#include "engine/timeline/timeline_worker.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

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

#include "engine/store/error.hpp"
#include "engine/timeline/mark_backlog.hpp"
#include "engine/timeline/timeline_store.hpp"
#include "tests/engine/store/store_test_env.hpp"
#include "tests/support/forwarding_timeline.hpp"
#include "tests/support/wait_until.hpp"

namespace hisbridge::timeline {
namespace {

using namespace std::chrono_literals;
using store::testing::TempDir;

constexpr std::int64_t kMinute = 60LL * 1'000'000;
constexpr std::int64_t kT0 = 1772673300LL * 1'000'000;  // 2026-03-05T08:15+07:00

// Both ends of lab_order_to_final for one order: one interval of `minutes`.
std::vector<Mark> ordered_and_final(const std::string& order_no, std::int64_t minutes = 30) {
  SubjectInfo info;
  info.discipline = "LAB";
  info.priority = "R";
  return {{Scope::order, order_no, "ordered", kT0, info},
          {Scope::order, order_no, "final", kT0 + minutes * kMinute, info}};
}

bool eventually(const std::function<bool()>& done) {
  return testing_support::wait_until(done, std::chrono::seconds(20));
}

// Forwards to a real timeline; drain() fails while told to, and counts its calls; enqueue()
// fails while fail_enqueue_ says so.
class FlakyTimeline final : public testing_support::ForwardingTimeline {
 public:
  using ForwardingTimeline::ForwardingTimeline;

  Result<void> enqueue(std::span<const Mark> marks) override {
    if (fail_enqueue_) {
      return store::StoreError::io;
    }
    return ForwardingTimeline::enqueue(marks);
  }

  Result<Drained> drain(std::size_t rows, std::size_t marks) override {
    ++drains_;
    if (fail_) {
      return store::StoreError::busy;
    }
    return ForwardingTimeline::drain(rows, marks);
  }

  std::atomic<bool> fail_{false};
  std::atomic<bool> fail_enqueue_{false};
  std::atomic<int> drains_{0};
};

class TimelineWorkerTest : public testing::Test {
 protected:
  void SetUp() override {
    router_ = open();
    ASSERT_NE(router_, nullptr);
  }

  void TearDown() override { worker_.reset(); }

  std::unique_ptr<TimelineStore> open() {
    auto opened = open_timeline(journal_.string(), default_intervals());
    EXPECT_TRUE(opened) << (opened ? "" : opened.error().message());
    return opened ? std::move(*opened) : nullptr;
  }

  // A worker on a connection of its own, its intervals collected in seen_.
  void make_worker(std::unique_ptr<TimelineStore> store, TimelineWorker::Options options = {}) {
    worker_ = std::make_unique<TimelineWorker>(
        std::move(store),
        [this](std::span<const RecordedInterval> recorded) {
          const std::lock_guard lock(mutex_);
          seen_.insert(seen_.end(), recorded.begin(), recorded.end());
        },
        options);
  }

  void enqueue(const std::string& order_no) {
    auto done = router_->enqueue(ordered_and_final(order_no));
    ASSERT_TRUE(done) << done.error().message();
  }

  std::vector<std::string> seen_subjects() {
    const std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const RecordedInterval& r : seen_) {
      EXPECT_EQ(r.interval, "lab_order_to_final");
      EXPECT_TRUE(r.first);
      out.push_back(r.subject);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::size_t stored_intervals() {
    IntervalQuery q;
    q.interval = "lab_order_to_final";
    q.from_us = 0;
    q.to_us = std::numeric_limits<std::int64_t>::max();
    auto rows = router_->intervals(q);
    EXPECT_TRUE(rows) << (rows ? "" : rows.error().message());
    return rows ? rows->size() : 0;
  }

  bool exec_on_journal(const char* sql) {
    sqlite3* db = nullptr;
    bool ok = sqlite3_open(journal_.c_str(), &db) == SQLITE_OK &&
              sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
  }

  // Rows in the inbox, read past the store; -1 when it cannot be read.
  long long inbox_rows() {
    sqlite3* db = nullptr;
    sqlite3_stmt* s = nullptr;
    long long n = -1;
    if (sqlite3_open(journal_.c_str(), &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM timeline_inbox", -1, &s, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      n = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
  }

  TempDir dir_;
  std::filesystem::path journal_ = dir_.path() / "journal.db";
  std::unique_ptr<TimelineStore> router_;  // enqueues, and reads what the worker recorded
  std::mutex mutex_;
  std::vector<RecordedInterval> seen_;
  std::unique_ptr<TimelineWorker> worker_;  // last: its thread ends before seen_ goes
};

TEST_F(TimelineWorkerTest, RecordsWhatIsEnqueuedAndNotified) {
  make_worker(open());
  worker_->start();
  ASSERT_TRUE(eventually([&] { return worker_->caught_up(); }));  // the start-up drain
  EXPECT_EQ(worker_->backlog(), 0u);
  enqueue("ORD1");
  enqueue("ORD2");
  worker_->notify();
  worker_->notify();
  ASSERT_TRUE(eventually([&] { return worker_->caught_up(); }));
  EXPECT_EQ(worker_->backlog(), 0u);
  EXPECT_EQ(seen_subjects(), (std::vector<std::string>{"ORD1", "ORD2"}));
  EXPECT_EQ(worker_->rows_recorded(), 2u);
  EXPECT_EQ(worker_->marks_recorded(), 4u);
  EXPECT_EQ(worker_->errors(), 0u);
  EXPECT_EQ(stored_intervals(), 2u);
  EXPECT_EQ(inbox_rows(), 0);
}

TEST_F(TimelineWorkerTest, RecordsRowsLeftBeforeStartWithoutANotify) {
  enqueue("ORD1");
  enqueue("ORD2");
  enqueue("ORD3");
  TimelineWorker::Options options;
  options.poll = std::chrono::hours(1);  // only the start-up drain can find them
  options.rows_per_drain = 1;            // in three drains, before the one that finds none
  make_worker(open(), options);
  EXPECT_FALSE(worker_->caught_up());
  EXPECT_GE(worker_->backlog(), 1u);
  worker_->start();
  ASSERT_TRUE(eventually([&] { return worker_->caught_up(); }));
  EXPECT_EQ(worker_->backlog(), 0u);
  EXPECT_EQ(worker_->rows_recorded(), 3u);
  EXPECT_EQ(seen_subjects(), (std::vector<std::string>{"ORD1", "ORD2", "ORD3"}));
  EXPECT_EQ(stored_intervals(), 3u);
  EXPECT_EQ(inbox_rows(), 0);
}

TEST_F(TimelineWorkerTest, BacklogCountsBatchesNotifiedAndNotRecorded) {
  make_worker(open());
  EXPECT_EQ(worker_->backlog(), 1u);  // before any drain: at least one, rows may be waiting
  for (const char* order_no : {"A", "B", "C"}) {
    enqueue(order_no);
    worker_->notify();
  }
  EXPECT_EQ(worker_->backlog(), 3u);
  worker_->start();
  ASSERT_TRUE(eventually([&] { return worker_->caught_up(); }));
  EXPECT_EQ(worker_->backlog(), 0u);
  EXPECT_EQ(stored_intervals(), 3u);
}

TEST_F(TimelineWorkerTest, StopRecordsWhatIsLeft) {
  TimelineWorker::Options options;
  options.poll = std::chrono::hours(1);  // no poll in between: only stop() can drain it
  make_worker(open(), options);
  worker_->start();
  ASSERT_TRUE(eventually([&] { return worker_->caught_up(); }));
  enqueue("ORD1");
  enqueue("ORD2");
  EXPECT_EQ(inbox_rows(), 2);
  worker_->stop();
  EXPECT_EQ(inbox_rows(), 0);
  EXPECT_EQ(stored_intervals(), 2u);
  EXPECT_EQ(seen_subjects(), (std::vector<std::string>{"ORD1", "ORD2"}));
  EXPECT_EQ(worker_->rows_recorded(), 2u);
  // A stopped worker starts again.
  enqueue("ORD3");
  worker_->notify();
  worker_->start();
  ASSERT_TRUE(eventually([&] { return worker_->caught_up(); }));
  EXPECT_EQ(stored_intervals(), 3u);
}

TEST_F(TimelineWorkerTest, AFailingDrainLeavesTheRowsUntilTheStoreRecovers) {
  auto flaky_store = std::make_unique<FlakyTimeline>(open());
  FlakyTimeline* flaky = flaky_store.get();
  flaky->fail_ = true;
  TimelineWorker::Options options;
  options.poll = 20ms;
  options.retry = 20ms;
  make_worker(std::move(flaky_store), options);
  enqueue("ORD1");
  worker_->notify();
  EXPECT_GE(worker_->backlog(), 1u);
  worker_->start();
  ASSERT_TRUE(eventually([&] { return worker_->errors() >= 2; }));  // tried again
  EXPECT_FALSE(worker_->caught_up());
  EXPECT_GE(worker_->backlog(), 1u);
  EXPECT_EQ(worker_->rows_recorded(), 0u);
  EXPECT_EQ(inbox_rows(), 1);
  EXPECT_EQ(stored_intervals(), 0u);
  EXPECT_TRUE(seen_subjects().empty());

  flaky->fail_ = false;
  ASSERT_TRUE(eventually([&] { return worker_->caught_up(); }));
  EXPECT_EQ(worker_->backlog(), 0u);
  EXPECT_EQ(inbox_rows(), 0);
  EXPECT_EQ(stored_intervals(), 1u);
  EXPECT_EQ(seen_subjects(), (std::vector<std::string>{"ORD1"}));
  EXPECT_EQ(worker_->unreadable_rows(), 0u);
}

TEST_F(TimelineWorkerTest, IntervalsRecordedWhileTheInboxCannotBeEmptiedAreCountedOnce) {
  // The journal refuses to lose its inbox rows (as on a full disk) after the timeline's own
  // file committed the intervals: they are stored, and the histogram must see them now,
  // since draining the same rows again finds them stored and returns none.
  ASSERT_TRUE(exec_on_journal(
      "CREATE TRIGGER keep_inbox BEFORE DELETE ON timeline_inbox"
      " BEGIN SELECT RAISE(ABORT, 'the journal cannot be written'); END"));
  TimelineWorker::Options options;
  options.poll = 20ms;
  options.retry = 20ms;
  make_worker(open(), options);
  enqueue("ORD1");
  worker_->notify();
  worker_->start();
  ASSERT_TRUE(eventually([&] { return worker_->errors() >= 2; }));  // tried again
  EXPECT_FALSE(worker_->caught_up());
  EXPECT_EQ(inbox_rows(), 1);
  EXPECT_EQ(stored_intervals(), 1u);
  EXPECT_EQ(seen_subjects(), (std::vector<std::string>{"ORD1"}));
  EXPECT_EQ(worker_->rows_recorded(), 0u);  // counted when the row leaves the inbox

  ASSERT_TRUE(exec_on_journal("DROP TRIGGER keep_inbox"));
  ASSERT_TRUE(eventually([&] { return worker_->caught_up(); }));
  EXPECT_EQ(inbox_rows(), 0);
  EXPECT_EQ(worker_->rows_recorded(), 1u);
  EXPECT_EQ(stored_intervals(), 1u);
  EXPECT_EQ(seen_subjects(), (std::vector<std::string>{"ORD1"}));  // once
}

TEST_F(TimelineWorkerTest, StopOnAFailingStoreLeavesTheRowsForTheNextRun) {
  auto flaky_store = std::make_unique<FlakyTimeline>(open());
  FlakyTimeline* flaky = flaky_store.get();
  flaky->fail_ = true;
  make_worker(std::move(flaky_store));
  worker_->start();
  ASSERT_TRUE(eventually([&] { return worker_->errors() >= 1; }));
  enqueue("ORD1");
  worker_->notify();
  worker_->stop();  // gives up after a failed drain instead of trying for ever
  EXPECT_GE(flaky->drains_.load(), 2);
  EXPECT_EQ(inbox_rows(), 1);
  worker_.reset();
  make_worker(open());
  worker_->start();
  ASSERT_TRUE(eventually([&] { return worker_->caught_up(); }));
  EXPECT_EQ(stored_intervals(), 1u);
  EXPECT_EQ(inbox_rows(), 0);
}

TEST_F(TimelineWorkerTest, RunsItsHookBeforeEveryDrainPolledOrNotified) {
  std::atomic<int> calls{0};
  TimelineWorker::Options options;
  options.poll = 20ms;
  make_worker(open(), options);
  worker_->set_before_drain([&] { ++calls; });
  worker_->start();
  ASSERT_TRUE(eventually([&] { return calls >= 3; }));  // the start-up drain, then polls
  enqueue("ORD1");
  worker_->notify();
  ASSERT_TRUE(eventually([&] { return stored_intervals() == 1; }));
  worker_->stop();
  const int after_stop = calls;
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(calls, after_stop);  // a stopped worker calls nothing
}

// What the engine does with the marks of its deliveries: a backlog holds those the inbox
// refused, and the worker's hook hands them again, so they are recorded once the inbox works
// even though nothing is enqueued after them.
TEST_F(TimelineWorkerTest, MarksHeldByABacklogAreRecordedAtAPollWithoutNewMarks) {
  FlakyTimeline delivery_side(open());
  MarkBacklog backlog("delivery", "delivery marks");
  std::mutex backlog_mutex;
  delivery_side.fail_enqueue_ = true;
  const std::vector<Mark> marks = ordered_and_final("ORD1");
  EXPECT_FALSE(backlog.enqueue(delivery_side, marks));
  EXPECT_EQ(backlog.held(), 2u);

  TimelineWorker::Options options;
  options.poll = 20ms;
  make_worker(open(), options);
  worker_->set_before_drain([&] {
    const std::lock_guard lock(backlog_mutex);
    static_cast<void>(backlog.retry(delivery_side));
  });
  worker_->start();
  std::this_thread::sleep_for(100ms);  // polls while the inbox still refuses
  {
    const std::lock_guard lock(backlog_mutex);
    EXPECT_EQ(backlog.held(), 2u);
  }
  EXPECT_EQ(stored_intervals(), 0u);

  delivery_side.fail_enqueue_ = false;
  const bool recorded = eventually([&] { return stored_intervals() == 1; });
  worker_->stop();  // its hook uses the backlog, which goes at the end of this test
  ASSERT_TRUE(recorded);
  EXPECT_EQ(backlog.held(), 0u);
  EXPECT_EQ(seen_subjects(), (std::vector<std::string>{"ORD1"}));
}

TEST_F(TimelineWorkerTest, CountsUnreadableRowsAsErrorsAndRecordsTheRest) {
  enqueue("ORD1");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(journal_.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "INSERT INTO timeline_inbox(marks) VALUES(x'00ff')", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  enqueue("ORD2");
  make_worker(open());
  worker_->start();
  ASSERT_TRUE(eventually([&] { return worker_->caught_up(); }));
  EXPECT_EQ(worker_->unreadable_rows(), 1u);
  EXPECT_EQ(worker_->errors(), 1u);
  EXPECT_EQ(worker_->rows_recorded(), 3u);
  EXPECT_EQ(seen_subjects(), (std::vector<std::string>{"ORD1", "ORD2"}));
  EXPECT_EQ(inbox_rows(), 0);
}

}  // namespace
}  // namespace hisbridge::timeline
