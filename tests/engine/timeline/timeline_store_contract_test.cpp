// The TimelineStore contract, run against every implementation: SQLite on a temporary file
// always, PostgreSQL when HISBRIDGE_TEST_PG names a server (each test gets a fresh database).
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "engine/store/open_store.hpp"
#include "engine/timeline/mark_codec.hpp"
#include "engine/timeline/timeline_store.hpp"
#include "tests/engine/store/store_test_env.hpp"

namespace hisbridge::timeline {
namespace {

using store::testing::Backend;

constexpr std::int64_t kMinute = 60LL * 1'000'000;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kT0 = 1772673300LL * 1'000'000;  // 2026-03-05T08:15+07:00

SubjectInfo info(std::string discipline, std::string priority = "R",
                 std::string department = "KHOA_NOI") {
  SubjectInfo i;
  i.discipline = std::move(discipline);
  i.priority = std::move(priority);
  i.department = std::move(department);
  i.visit_id = "V1";
  i.patient_id = "P1";
  i.service_code = i.discipline == "RAD" ? "CT_SO" : "GLU";
  i.modality = i.discipline == "RAD" ? "CT" : "";
  return i;
}

Mark mark(Scope scope, std::string subject, std::string kind, std::int64_t at_us,
          SubjectInfo i = info("LAB")) {
  return {scope, std::move(subject), std::move(kind), at_us, std::move(i)};
}

Mark order(std::string subject, std::string kind, std::int64_t minute,
           SubjectInfo i = info("LAB")) {
  return mark(Scope::order, std::move(subject), std::move(kind), kT0 + minute * kMinute,
              std::move(i));
}

Mark visit(std::string subject, std::string kind, std::int64_t minute,
           SubjectInfo i = info("LAB")) {
  return mark(Scope::visit, std::move(subject), std::move(kind), kT0 + minute * kMinute,
              std::move(i));
}

Mark message(std::int64_t id, std::string_view kind, std::int64_t at_us) {
  Mark m;
  m.scope = Scope::message;
  m.subject = std::to_string(id);
  m.kind = std::string(kind);
  m.at_us = at_us;
  return m;
}

class TimelineContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    store::testing::open_test_location(GetParam(), place_);
    if (place_.skipped) {
      GTEST_SKIP() << store::testing::kNoPgServer;
    }
    ASSERT_FALSE(place_.location.empty()) << "cannot create a database on HISBRIDGE_TEST_PG";
    timeline_ = open();
    ASSERT_NE(timeline_, nullptr);
  }

  void TearDown() override { timeline_.reset(); }

  std::unique_ptr<TimelineStore> open() {
    auto opened = open_timeline(place_.location, default_intervals());
    EXPECT_TRUE(opened) << (opened ? "" : opened.error().message());
    return opened ? std::move(*opened) : nullptr;
  }

  std::vector<RecordedInterval> record(const std::vector<Mark>& marks) {
    auto recorded = timeline_->record(marks);
    EXPECT_TRUE(recorded) << (recorded ? "" : recorded.error().message());
    return recorded ? *recorded : std::vector<RecordedInterval>{};
  }

  std::vector<IntervalRow> rows(std::string interval, std::int64_t from_us = kT0 - 100 * kHour,
                                std::int64_t to_us = kT0 + 100 * kHour,
                                std::vector<std::pair<Dimension, std::string>> filters = {}) {
    IntervalQuery q;
    q.interval = std::move(interval);
    q.from_us = from_us;
    q.to_us = to_us;
    q.filters = std::move(filters);
    auto out = timeline_->intervals(q);
    EXPECT_TRUE(out) << (out ? "" : out.error().message());
    return out ? *out : std::vector<IntervalRow>{};
  }

  std::vector<OverdueItem> overdue(std::int64_t now_us, std::int64_t lookback_us = 48 * kHour,
                                   std::size_t limit = 500) {
    auto out = timeline_->overdue({now_us, lookback_us, limit});
    EXPECT_TRUE(out) << (out ? "" : out.error().message());
    return out ? *out : std::vector<OverdueItem>{};
  }

  void enqueue(const std::vector<Mark>& marks, TimelineStore* on = nullptr) {
    auto done = (on != nullptr ? on : timeline_.get())->enqueue(marks);
    EXPECT_TRUE(done) << (done ? "" : done.error().message());
  }

  Drained drain(std::size_t max_rows = 64, std::size_t max_marks = 1024,
                TimelineStore* on = nullptr) {
    auto drained = (on != nullptr ? on : timeline_.get())->drain(max_rows, max_marks);
    EXPECT_TRUE(drained) << (drained ? "" : drained.error().message());
    return drained ? *drained : Drained{};
  }

  // Writes `bytes` into the inbox as a row of its own, past the store: what a damaged
  // database or a bug would leave there.
  bool insert_raw_inbox_row(std::string_view bytes) {
    if (GetParam() == Backend::postgres) {
      PGconn* conn = PQconnectdb(place_.location.c_str());
      const char* values[] = {bytes.data()};
      const int lengths[] = {static_cast<int>(bytes.size())};
      const int formats[] = {1};
      PGresult* r = PQexecParams(conn, "INSERT INTO timeline_inbox(marks) VALUES($1::bytea)", 1,
                                 nullptr, values, lengths, formats, 0);
      const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
      EXPECT_TRUE(ok) << PQerrorMessage(conn);
      PQclear(r);
      PQfinish(conn);
      return ok;
    }
    sqlite3* db = nullptr;
    sqlite3_stmt* s = nullptr;
    const auto journal = place_.dir->path() / "journal.db";
    bool ok = sqlite3_open(journal.c_str(), &db) == SQLITE_OK &&
              sqlite3_prepare_v2(db, "INSERT INTO timeline_inbox(marks) VALUES(?1)", -1, &s,
                                 nullptr) == SQLITE_OK &&
              sqlite3_bind_blob64(s, 1, bytes.data(), bytes.size(), SQLITE_TRANSIENT) ==
                  SQLITE_OK &&
              sqlite3_step(s) == SQLITE_DONE;
    EXPECT_TRUE(ok) << sqlite3_errmsg(db);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return ok;
  }

  store::testing::TestLocation place_;
  std::unique_ptr<TimelineStore> timeline_;
};

TEST_P(TimelineContractTest, AnIntervalIsRecordedOnceBothEndsAreKnown) {
  EXPECT_TRUE(record({order("ORD1", "ordered", 0)}).empty());
  const auto recorded = record({order("ORD1", "final", 45)});
  ASSERT_EQ(recorded.size(), 1u);
  const RecordedInterval& r = recorded[0];
  EXPECT_EQ(r.interval, "lab_order_to_final");
  EXPECT_EQ(r.subject, "ORD1");
  EXPECT_EQ(r.from_us, kT0);
  EXPECT_EQ(r.to_us, kT0 + 45 * kMinute);
  EXPECT_FALSE(r.invalid);
  EXPECT_TRUE(r.first);
  EXPECT_EQ(r.info, info("LAB"));
  const auto stored = rows("lab_order_to_final");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].duration_us, 45 * kMinute);
  EXPECT_FALSE(stored[0].invalid);
  EXPECT_EQ(stored[0].priority, "R");
  EXPECT_EQ(stored[0].department, "KHOA_NOI");
  EXPECT_EQ(stored[0].service_code, "GLU");
  EXPECT_EQ(timeline_->definitions().size(), 7u);
}

TEST_P(TimelineContractTest, RecordingTheSameMarksAgainChangesNothing) {
  const std::vector<Mark> marks = {order("ORD1", "ordered", 0), order("ORD1", "collected", 5),
                                   order("ORD1", "received", 20), order("ORD1", "final", 50),
                                   visit("V1", "registered", -10), visit("V1", "collected", 5),
                                   message(9, kAccepted, kT0), message(9, kDelivered, kT0 + 7)};
  const auto first = record(marks);
  EXPECT_EQ(first.size(), 5u);  // three lab intervals, the visit's wait, the delivery
  for (int again = 0; again < 2; ++again) {
    EXPECT_TRUE(record(marks).empty());
  }
  EXPECT_TRUE(record({order("ORD1", "final", 50)}).empty());
  EXPECT_TRUE(record({message(9, kDelivered, kT0 + 7), message(9, kAccepted, kT0)}).empty());
  EXPECT_EQ(rows("lab_order_to_final").size(), 1u);
  ASSERT_EQ(rows("lab_collect_to_receipt").size(), 1u);
  EXPECT_EQ(rows("lab_collect_to_receipt")[0].duration_us, 15 * kMinute);
  ASSERT_EQ(rows("lab_receipt_to_final").size(), 1u);
  EXPECT_EQ(rows("lab_receipt_to_final")[0].duration_us, 30 * kMinute);
}

TEST_P(TimelineContractTest, EndsAreTheEarliestWhateverTheArrivalOrder) {
  // ORD1 gets its marks oldest first, ORD2 newest first, ORD3 in one call.
  record({order("ORD1", "ordered", 10)});
  record({order("ORD1", "final", 40)});
  record({order("ORD1", "final", 50)});
  record({order("ORD1", "ordered", 20)});

  record({order("ORD2", "final", 50)});
  record({order("ORD2", "ordered", 20)});
  const auto moved = record({order("ORD2", "final", 40)});
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_FALSE(moved[0].first);
  EXPECT_EQ(moved[0].to_us, kT0 + 40 * kMinute);
  EXPECT_EQ(moved[0].from_us, kT0 + 20 * kMinute);
  const auto earlier_start = record({order("ORD2", "ordered", 10)});
  ASSERT_EQ(earlier_start.size(), 1u);
  EXPECT_FALSE(earlier_start[0].first);
  EXPECT_EQ(earlier_start[0].from_us, kT0 + 10 * kMinute);

  const auto once = record({order("ORD3", "final", 50), order("ORD3", "ordered", 20),
                            order("ORD3", "final", 40), order("ORD3", "ordered", 10)});
  ASSERT_EQ(once.size(), 1u);
  EXPECT_TRUE(once[0].first);

  const auto all = rows("lab_order_to_final");
  ASSERT_EQ(all.size(), 3u);
  for (const IntervalRow& r : all) {
    EXPECT_EQ(r.duration_us, 30 * kMinute);
  }
}

TEST_P(TimelineContractTest, ANegativeIntervalIsInvalid) {
  const auto recorded = record({order("ORD1", "final", 30), order("ORD1", "ordered", 90)});
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_TRUE(recorded[0].invalid);
  const auto stored = rows("lab_order_to_final");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_TRUE(stored[0].invalid);
  EXPECT_EQ(stored[0].duration_us, -60 * kMinute);
  // An earlier order time makes it valid again.
  const auto fixed = record({order("ORD1", "ordered", 0)});
  ASSERT_EQ(fixed.size(), 1u);
  EXPECT_FALSE(fixed[0].invalid);
  EXPECT_FALSE(rows("lab_order_to_final")[0].invalid);
}

TEST_P(TimelineContractTest, ACorrectedResultDoesNotRestartTheClock) {
  record({order("ORD1", "ordered", 0), order("ORD1", "preliminary", 20),
          order("ORD1", "final", 30)});
  EXPECT_TRUE(record({order("ORD1", "corrected", 90)}).empty());
  EXPECT_TRUE(record({order("ORD1", "final", 120)}).empty());  // a later final: the first counts
  const auto stored = rows("lab_order_to_final");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].duration_us, 30 * kMinute);
}

TEST_P(TimelineContractTest, OnlyIntervalsOfTheSubjectsDisciplineAreComputed) {
  const auto rad = record({order("R1", "ordered", 0, info("RAD")),
                           order("R1", "completed", 20, info("RAD")),
                           order("R1", "final", 80, info("RAD"))});
  ASSERT_EQ(rad.size(), 2u);
  EXPECT_EQ(rows("rad_order_to_report").size(), 1u);
  ASSERT_EQ(rows("rad_exam_to_report").size(), 1u);
  EXPECT_EQ(rows("rad_exam_to_report")[0].duration_us, 60 * kMinute);
  EXPECT_EQ(rows("rad_exam_to_report")[0].modality, "CT");
  EXPECT_TRUE(rows("lab_order_to_final").empty());

  // Without a discipline an order matches no LAB or RAD interval.
  EXPECT_TRUE(record({order("X1", "ordered", 0, info("")), order("X1", "final", 5, info(""))})
                  .empty());
}

TEST_P(TimelineContractTest, AVisitWaitsUntilTheEarliestOfItsServices) {
  EXPECT_TRUE(record({visit("V1", "registered", 0)}).empty());
  const auto started = record({visit("V1", "started", 50, info("RAD"))});
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].interval, "patient_wait_to_service");
  EXPECT_EQ(started[0].subject, "V1");
  EXPECT_EQ(started[0].to_us - started[0].from_us, 50 * kMinute);
  const auto collected = record({visit("V1", "collected", 20, info("LAB"))});
  ASSERT_EQ(collected.size(), 1u);
  EXPECT_FALSE(collected[0].first);
  EXPECT_EQ(collected[0].to_us, kT0 + 20 * kMinute);
  EXPECT_TRUE(record({visit("V1", "started", 30, info("RAD"))}).empty());
  ASSERT_EQ(rows("patient_wait_to_service").size(), 1u);
  EXPECT_EQ(rows("patient_wait_to_service")[0].duration_us, 20 * kMinute);
}

TEST_P(TimelineContractTest, DeliveryLatencyFromTheMessagesOwnMarks) {
  EXPECT_TRUE(record({message(5, kAccepted, kT0)}).empty());  // needs both in one call
  const auto recorded = record({message(7, kAccepted, kT0), message(7, kDelivered, kT0 + 2500)});
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].interval, "delivery_latency");
  EXPECT_EQ(recorded[0].subject, "7");
  EXPECT_EQ(recorded[0].to_us - recorded[0].from_us, 2500);
  EXPECT_TRUE(recorded[0].first);
  // Later marks of the same message never move it; an earlier one does.
  EXPECT_TRUE(
      record({message(7, kAccepted, kT0), message(7, kDelivered, kT0 + 9000)}).empty());
  const auto moved = record({message(7, kAccepted, kT0), message(7, kDelivered, kT0 + 1000)});
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_FALSE(moved[0].first);
  const auto stored = rows("delivery_latency");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].duration_us, 1000);
}

TEST_P(TimelineContractTest, AWindowHoldsToEndsInFromInclusiveToExclusive) {
  record({order("A", "ordered", -10), order("A", "final", 0)});    // to = T0: in
  record({order("B", "ordered", -10), order("B", "final", 59)});   // in
  record({order("C", "ordered", -10), order("C", "final", 60)});   // to = T0 + 1 h: out
  record({order("D", "ordered", -100), order("D", "final", -1)});  // before: out
  const auto window = rows("lab_order_to_final", kT0, kT0 + kHour);
  ASSERT_EQ(window.size(), 2u);
  std::vector<std::int64_t> durations = {window[0].duration_us, window[1].duration_us};
  std::sort(durations.begin(), durations.end());
  EXPECT_EQ(durations, (std::vector<std::int64_t>{10 * kMinute, 69 * kMinute}));
  EXPECT_EQ(rows("lab_order_to_final", kT0 + kHour, kT0 + 2 * kHour).size(), 1u);
  EXPECT_TRUE(rows("lab_order_to_final", kT0 + 1, kT0 + 59 * kMinute).empty());
  EXPECT_TRUE(rows("lab_receipt_to_final").empty());
  EXPECT_TRUE(rows("no_such_interval").empty());
}

TEST_P(TimelineContractTest, FiltersNarrowEveryOneOfThem) {
  record({order("A", "ordered", 0, info("LAB", "S", "NOI")),
          order("A", "final", 10, info("LAB", "S", "NOI"))});
  record({order("B", "ordered", 0, info("LAB", "R", "NOI")),
          order("B", "final", 20, info("LAB", "R", "NOI"))});
  record({order("C", "ordered", 0, info("LAB", "S", "NGOAI")),
          order("C", "final", 30, info("LAB", "S", "NGOAI"))});
  const auto window = [&](std::vector<std::pair<Dimension, std::string>> filters) {
    return rows("lab_order_to_final", kT0 - kHour, kT0 + kHour, std::move(filters));
  };
  EXPECT_EQ(window({}).size(), 3u);
  EXPECT_EQ(window({{Dimension::priority, "S"}}).size(), 2u);
  EXPECT_EQ(window({{Dimension::department, "NOI"}}).size(), 2u);
  const auto both = window({{Dimension::priority, "S"}, {Dimension::department, "NOI"}});
  ASSERT_EQ(both.size(), 1u);
  EXPECT_EQ(both[0].duration_us, 10 * kMinute);
  EXPECT_EQ(window({{Dimension::service_code, "GLU"}}).size(), 3u);
  EXPECT_TRUE(window({{Dimension::modality, "CT"}}).empty());
  EXPECT_TRUE(window({{Dimension::department, "noi"}}).empty());  // exact comparison
}

TEST_P(TimelineContractTest, InfoArrivingLaterUpdatesTheIntervalSilently) {
  SubjectInfo unknown = info("LAB", "");
  unknown.department = "";
  record({order("ORD1", "ordered", 0, unknown), order("ORD1", "final", 30, unknown)});
  EXPECT_EQ(rows("lab_order_to_final")[0].priority, "");
  // The order message with the priority comes after the result: same times, more info.
  EXPECT_TRUE(record({order("ORD1", "ordered", 0, info("LAB", "S", "CAP_CUU"))}).empty());
  const auto stat = rows("lab_order_to_final", kT0 - kHour, kT0 + kHour,
                         {{Dimension::priority, "S"}});
  ASSERT_EQ(stat.size(), 1u);
  EXPECT_EQ(stat[0].department, "CAP_CUU");
  // A message that leaves the fields empty keeps them.
  record({order("ORD1", "corrected", 90, unknown)});
  EXPECT_EQ(rows("lab_order_to_final")[0].priority, "S");
  const auto later = record({order("ORD2", "ordered", 0, unknown), order("ORD2", "final", 1)});
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].info.priority, "R");  // merged in the call: the later mark says R
}

TEST_P(TimelineContractTest, OverdueListsRunningClocksOverTheirTarget) {
  const std::int64_t now = kT0 + 100 * kHour;
  const auto at = [&](std::int64_t minutes_ago) {
    return (now - kT0) / kMinute - minutes_ago;  // minutes after kT0
  };
  record({order("S_LATE", "ordered", at(61), info("LAB", "S")),
          order("S_EARLY", "ordered", at(59), info("LAB", "S")),
          order("R_EARLY", "ordered", at(61), info("LAB", "R")),
          order("R_LATE", "ordered", at(241), info("LAB", "R")),
          order("DONE", "ordered", at(300), info("LAB", "S")),
          order("DONE", "final", at(100), info("LAB", "S")),
          order("ANCIENT", "ordered", at(49 * 60), info("LAB", "S")),
          order("RAD_S", "completed", at(90), info("RAD", "S")),
          visit("V_WAIT", "registered", at(31)),
          visit("V_SEEN", "registered", at(120)),
          visit("V_SEEN", "started", at(100), info("RAD"))});
  const auto items = overdue(now);
  std::vector<std::string> subjects;
  for (const OverdueItem& i : items) {
    subjects.push_back(i.interval + "/" + i.subject);
  }
  EXPECT_EQ(subjects, (std::vector<std::string>{
                          "lab_order_to_final/R_LATE", "rad_exam_to_report/RAD_S",
                          "lab_order_to_final/S_LATE", "patient_wait_to_service/V_WAIT"}));
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].scope, Scope::order);
  EXPECT_EQ(items[0].age_us, 241 * kMinute);
  EXPECT_EQ(items[0].target_us, 240 * kMinute);
  EXPECT_EQ(items[0].from_us, now - 241 * kMinute);
  EXPECT_EQ(items[0].info, info("LAB", "R"));
  EXPECT_EQ(items[1].target_us, 60 * kMinute);
  EXPECT_EQ(items[3].scope, Scope::visit);
  EXPECT_EQ(items[3].target_us, 30 * kMinute);
  EXPECT_EQ(items[3].age_us, 31 * kMinute);

  EXPECT_EQ(overdue(now, 48 * kHour, 2).size(), 2u);
  EXPECT_EQ(overdue(now, 50 * kHour).size(), 5u);  // ANCIENT is within 50 h
  EXPECT_EQ(overdue(now, 2 * kHour).size(), 3u);   // only clocks started in the last 2 h
  record({order("S_LATE", "final", at(0), info("LAB", "S"))});
  EXPECT_EQ(overdue(now).size(), 3u);
}

TEST_P(TimelineContractTest, AReopenedTimelineGivesTheSameResults) {
  const std::vector<Mark> marks = {order("ORD1", "ordered", 0), order("ORD1", "final", 70),
                                   order("ORD2", "ordered", 0, info("LAB", "S")),
                                   visit("V1", "registered", 0), visit("V1", "collected", 12)};
  record(marks);
  const auto before = rows("lab_order_to_final");
  const auto overdue_before = overdue(kT0 + 3 * kHour);
  timeline_.reset();
  timeline_ = open();
  ASSERT_NE(timeline_, nullptr);
  EXPECT_TRUE(record(marks).empty());
  const auto after = rows("lab_order_to_final");
  ASSERT_EQ(after.size(), before.size());
  EXPECT_EQ(after[0].duration_us, before[0].duration_us);
  EXPECT_EQ(rows("patient_wait_to_service").size(), 1u);
  const auto overdue_after = overdue(kT0 + 3 * kHour);
  ASSERT_EQ(overdue_after.size(), 1u);
  ASSERT_EQ(overdue_before.size(), 1u);
  EXPECT_EQ(overdue_after[0].subject, "ORD2");
}

TEST_P(TimelineContractTest, SharesItsDatabaseWithTheJournal) {
  record({order("ORD1", "ordered", 0), order("ORD1", "final", 70)});
  auto journal = store::open_store(place_.location);
  ASSERT_TRUE(journal) << journal.error().message();
  store::NewMessage m;
  m.raw = "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01|C1|P|2.5.1\r";
  m.received_at_us = kT0;
  m.control_id = "C1";
  ASSERT_TRUE((*journal)->append({&m, 1}, 0));
  EXPECT_EQ(rows("lab_order_to_final").size(), 1u);
  timeline_.reset();
  timeline_ = open();  // on a database that holds the journal
  ASSERT_NE(timeline_, nullptr);
  EXPECT_EQ(rows("lab_order_to_final").size(), 1u);
}

TEST_P(TimelineContractTest, TextThatIsNotUtf8IsStoredCleaned) {
  SubjectInfo odd = info("LAB");
  odd.department = "KHOA\xff";
  const auto recorded = record({order("ORD\xfe", "ordered", 0, odd), order("ORD\xfe", "final", 3, odd)});
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].subject, "ORD\xEF\xBF\xBD");
  EXPECT_EQ(rows("lab_order_to_final")[0].department, "KHOA\xEF\xBF\xBD");
}

// Both ends of lab_order_to_final for one order: one interval of `minutes`.
std::vector<Mark> ordered_and_final(const std::string& subject, std::int64_t minutes = 30) {
  return {order(subject, "ordered", 0), order(subject, "final", minutes)};
}

std::vector<std::string> subjects_of(const std::vector<RecordedInterval>& recorded) {
  std::vector<std::string> out;
  for (const RecordedInterval& r : recorded) {
    out.push_back(r.subject);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_P(TimelineContractTest, EnqueuedMarksAreRecordedOnlyWhenDrained) {
  enqueue(ordered_and_final("ORD1", 45));
  EXPECT_TRUE(rows("lab_order_to_final").empty());
  const Drained drained = drain();
  EXPECT_EQ(drained.rows, 1u);
  EXPECT_EQ(drained.marks, 2u);
  EXPECT_EQ(drained.unreadable, 0u);
  ASSERT_EQ(drained.recorded.size(), 1u);
  const RecordedInterval& r = drained.recorded[0];
  EXPECT_EQ(r.interval, "lab_order_to_final");
  EXPECT_EQ(r.subject, "ORD1");
  EXPECT_EQ(r.from_us, kT0);
  EXPECT_EQ(r.to_us, kT0 + 45 * kMinute);
  EXPECT_TRUE(r.first);
  EXPECT_FALSE(r.invalid);
  EXPECT_EQ(r.info, info("LAB"));
  const auto stored = rows("lab_order_to_final");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].duration_us, 45 * kMinute);
  // The row is gone: a second drain finds nothing.
  const Drained again = drain();
  EXPECT_EQ(again.rows, 0u);
  EXPECT_EQ(again.marks, 0u);
  EXPECT_TRUE(again.recorded.empty());
}

TEST_P(TimelineContractTest, DrainTakesTheOldestRowsUpToMaxRows) {
  for (const char* subject : {"A", "B", "C"}) {
    enqueue(ordered_and_final(subject));
  }
  const Drained first = drain(2, 1024);
  EXPECT_EQ(first.rows, 2u);
  EXPECT_EQ(first.marks, 4u);
  EXPECT_EQ(subjects_of(first.recorded), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(rows("lab_order_to_final").size(), 2u);
  const Drained second = drain(2, 1024);
  EXPECT_EQ(second.rows, 1u);
  EXPECT_EQ(subjects_of(second.recorded), (std::vector<std::string>{"C"}));
  EXPECT_EQ(drain(2, 1024).rows, 0u);
}

TEST_P(TimelineContractTest, DrainTakesAtLeastOneRowWhateverTheLimits) {
  for (const char* subject : {"A", "B", "C", "D", "E"}) {
    enqueue(ordered_and_final(subject));
  }
  // A row holds more marks than asked for: it is taken whole, and alone.
  const Drained one = drain(64, 1);
  EXPECT_EQ(one.rows, 1u);
  EXPECT_EQ(one.marks, 2u);
  EXPECT_EQ(subjects_of(one.recorded), (std::vector<std::string>{"A"}));
  const Drained zero = drain(0, 0);
  EXPECT_EQ(zero.rows, 1u);
  EXPECT_EQ(subjects_of(zero.recorded), (std::vector<std::string>{"B"}));
  // Rows are taken until they hold max_marks.
  const Drained two = drain(64, 4);
  EXPECT_EQ(two.rows, 2u);
  EXPECT_EQ(two.marks, 4u);
  EXPECT_EQ(subjects_of(two.recorded), (std::vector<std::string>{"C", "D"}));
  EXPECT_EQ(drain(64, 4).rows, 1u);
  EXPECT_EQ(rows("lab_order_to_final").size(), 5u);
}

TEST_P(TimelineContractTest, TheSameMarksEnqueuedTwiceAreRecordedOnce) {
  const std::vector<Mark> marks = {order("ORD1", "ordered", 0), order("ORD1", "final", 30),
                                   visit("V1", "registered", -10), visit("V1", "collected", 5)};
  enqueue(marks);
  enqueue(marks);
  const Drained first = drain(1, 1024);
  EXPECT_EQ(first.rows, 1u);
  ASSERT_EQ(first.recorded.size(), 2u);
  EXPECT_TRUE(first.recorded[0].first);
  const Drained second = drain(1, 1024);
  EXPECT_EQ(second.rows, 1u);
  EXPECT_EQ(second.marks, 4u);
  EXPECT_TRUE(second.recorded.empty());
  // Both copies in one drain: one interval each.
  const std::vector<Mark> other = ordered_and_final("ORD2");
  enqueue(other);
  enqueue(other);
  const Drained both = drain();
  EXPECT_EQ(both.rows, 2u);
  EXPECT_EQ(subjects_of(both.recorded), (std::vector<std::string>{"ORD2"}));
  EXPECT_EQ(rows("lab_order_to_final").size(), 2u);
  EXPECT_EQ(rows("patient_wait_to_service").size(), 1u);
}

TEST_P(TimelineContractTest, EnqueueingNoMarksAddsNoRow) {
  auto done = timeline_->enqueue(std::span<const Mark>{});
  ASSERT_TRUE(done) << done.error().message();
  const Drained drained = drain();
  EXPECT_EQ(drained.rows, 0u);
  EXPECT_EQ(drained.marks, 0u);
}

TEST_P(TimelineContractTest, OneConnectionEnqueuesAnotherDrains) {
  auto router = open();
  auto worker = open();
  ASSERT_NE(router, nullptr);
  ASSERT_NE(worker, nullptr);
  enqueue(ordered_and_final("ORD1"), router.get());
  enqueue(ordered_and_final("ORD2"), router.get());
  const Drained drained = drain(64, 1024, worker.get());
  EXPECT_EQ(drained.rows, 2u);
  EXPECT_EQ(subjects_of(drained.recorded), (std::vector<std::string>{"ORD1", "ORD2"}));
  EXPECT_EQ(rows("lab_order_to_final").size(), 2u);  // seen by a third connection
  EXPECT_EQ(drain(64, 1024, router.get()).rows, 0u);
}

TEST_P(TimelineContractTest, InboxRowsOutliveAReopen) {
  enqueue(ordered_and_final("ORD1"));
  timeline_.reset();
  timeline_ = open();
  ASSERT_NE(timeline_, nullptr);
  const Drained drained = drain();
  EXPECT_EQ(drained.rows, 1u);
  EXPECT_EQ(subjects_of(drained.recorded), (std::vector<std::string>{"ORD1"}));
}

TEST_P(TimelineContractTest, TwoDrainersAtOnceRecordEveryIntervalOnce) {
  std::vector<std::string> all;
  for (int i = 0; i < 24; ++i) {
    all.push_back("ORD" + std::to_string(100 + i));
    enqueue(ordered_and_final(all.back()));
  }
  std::vector<RecordedInterval> seen[2];
  std::unique_ptr<TimelineStore> drainers[2] = {open(), open()};
  ASSERT_NE(drainers[0], nullptr);
  ASSERT_NE(drainers[1], nullptr);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (;;) {
        auto drained = drainers[t]->drain(3, 1024);
        if (!drained || drained->rows == 0) {
          EXPECT_TRUE(drained) << drained.error().message();
          return;
        }
        seen[t].insert(seen[t].end(), drained->recorded.begin(), drained->recorded.end());
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  std::vector<RecordedInterval> recorded = seen[0];
  recorded.insert(recorded.end(), seen[1].begin(), seen[1].end());
  EXPECT_EQ(subjects_of(recorded), all);
  EXPECT_EQ(rows("lab_order_to_final").size(), all.size());
  EXPECT_EQ(drain().rows, 0u);
}

TEST_P(TimelineContractTest, AnUnreadableInboxRowIsDroppedAndTheRowsAroundItRecorded) {
  std::string truncated;
  encode_marks(ordered_and_final("LOST"), truncated);
  truncated.pop_back();
  enqueue(ordered_and_final("A"));
  ASSERT_TRUE(insert_raw_inbox_row(std::string("not marks\0\xff", 11)));
  ASSERT_TRUE(insert_raw_inbox_row(""));
  ASSERT_TRUE(insert_raw_inbox_row(truncated));
  enqueue(ordered_and_final("B"));
  const Drained drained = drain();
  EXPECT_EQ(drained.rows, 5u);
  EXPECT_EQ(drained.unreadable, 3u);
  EXPECT_EQ(drained.marks, 4u);
  EXPECT_EQ(subjects_of(drained.recorded), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(rows("lab_order_to_final").size(), 2u);
  EXPECT_EQ(drain().rows, 0u);  // dropped, not left to stop the inbox

  // An unreadable row alone in a drain is dropped too, and the next one follows.
  ASSERT_TRUE(insert_raw_inbox_row("HBM1\x07"));
  enqueue(ordered_and_final("C"));
  const Drained alone = drain(1, 1024);
  EXPECT_EQ(alone.rows, 1u);
  EXPECT_EQ(alone.unreadable, 1u);
  EXPECT_EQ(alone.marks, 0u);
  EXPECT_TRUE(alone.recorded.empty());
  const Drained next = drain(1, 1024);
  EXPECT_EQ(next.rows, 1u);
  EXPECT_EQ(next.unreadable, 0u);
  EXPECT_EQ(subjects_of(next.recorded), (std::vector<std::string>{"C"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, TimelineContractTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres),
                         [](const auto& param_info) {
                           return std::string(param_info.param == Backend::sqlite ? "sqlite"
                                                                            : "postgres");
                         });

}  // namespace
}  // namespace hisbridge::timeline
