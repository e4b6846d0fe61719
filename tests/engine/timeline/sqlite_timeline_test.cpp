// What only the SQLite timeline does: where it opens (its own file beside the journal's, the
// inbox in the journal's), which files it refuses, and how it moves the tables an older release
// kept in the journal's file.
#include "engine/timeline/sqlite_timeline.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "engine/store/error.hpp"
#include "engine/store/open_store.hpp"
#include "engine/timeline/mark_codec.hpp"
#include "engine/timeline/sqlite_timeline_schema.hpp"
#include "tests/engine/store/store_test_env.hpp"

namespace hisbridge::timeline {
namespace {

using store::testing::TempDir;

bool exec(const std::filesystem::path& file, const char* sql) {
  sqlite3* db = nullptr;
  bool ok = sqlite3_open(file.c_str(), &db) == SQLITE_OK;
  ok = ok && sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_close(db);
  return ok;
}

TEST(SqliteTimelineTest, RefusesADatabaseThatHoldsOtherTables) {
  // The HIS staging database given as the journal's location by mistake is not written to.
  const TempDir dir;
  const auto file = dir.path() / "his.db";
  ASSERT_TRUE(exec(file, "CREATE TABLE his_patient(patient_id TEXT PRIMARY KEY)"));
  auto opened = open_timeline("sqlite:" + file.string(), default_intervals());
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error(), store::StoreError::corrupt);
}

TEST(SqliteTimelineTest, RefusesASchemaNewerThanItKnows) {
  const TempDir dir;
  const auto file = dir.path() / "journal.db";
  ASSERT_TRUE(open_timeline(file.string(), default_intervals()));
  ASSERT_TRUE(exec(dir.path() / "journal.timeline.db", "UPDATE timeline_schema SET version = 99"));
  auto opened = open_timeline(file.string(), default_intervals());
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error(), store::StoreError::corrupt);
}

TEST(SqliteTimelineTest, OpensEveryFormOfSqliteLocationAndMakesTheFolder) {
  const TempDir dir;
  const auto nested = dir.path() / "var" / "a.db";
  ASSERT_TRUE(open_timeline("sqlite://" + nested.string(), default_intervals()));
  EXPECT_TRUE(std::filesystem::exists(nested));
  const auto plain = dir.path() / "b.db";
  ASSERT_TRUE(open_timeline(plain.string(), default_intervals()));
  EXPECT_TRUE(std::filesystem::exists(plain));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "b.timeline.db"));
}

TEST(SqliteTimelineTest, NamesItsFileAfterTheJournals) {
  EXPECT_EQ(sqlite_schema::timeline_file("var/hisbridge.db"), "var/hisbridge.timeline.db");
  EXPECT_EQ(sqlite_schema::timeline_file("/data/journal"), "/data/journal.timeline");
  EXPECT_EQ(sqlite_schema::timeline_file("store.sqlite3"), "store.timeline.sqlite3");
}

// Counts rows of `table` in `file`; -1 when the table is not there.
long long count_rows(const std::filesystem::path& file, const std::string& table) {
  const std::string n = store::testing::sqlite_value(file, "SELECT count(*) FROM " + table);
  return n.empty() ? -1 : std::stoll(n);
}

TEST(SqliteTimelineTest, KeepsTheTablesInItsOwnFileAndTheInboxInTheJournals) {
  const TempDir dir;
  const auto journal = dir.path() / "hisbridge.db";
  auto t = open_timeline(journal.string(), default_intervals());
  ASSERT_TRUE(t);
  const Mark marks[] = {{Scope::order, "XN-1", "ordered", 1'000'000, {"LAB", "", "", "", "S", "", ""}},
                        {Scope::order, "XN-1", "final", 61'000'000, {}}};
  ASSERT_TRUE((*t)->enqueue(marks));
  EXPECT_EQ(count_rows(journal, "timeline_inbox"), 1);
  EXPECT_EQ(count_rows(journal, "timeline_intervals"), -1);
  auto drained = (*t)->drain(8, 4096);
  ASSERT_TRUE(drained) << drained.error().message();
  EXPECT_EQ(drained->rows, 1u);
  EXPECT_EQ(count_rows(journal, "timeline_inbox"), 0);
  EXPECT_EQ(count_rows(dir.path() / "hisbridge.timeline.db", "timeline_intervals"), 1);
  // The journal opens as ever beside them, set up as the store sets up a file it creates.
  EXPECT_EQ(store::testing::sqlite_value(journal, "PRAGMA auto_vacuum"), "2")
      << "auto_vacuum=INCREMENTAL";
  EXPECT_TRUE(store::open_store(journal.string()));
}

// The lab_order_to_final intervals stored with a to end up to `to_us`, as a reader sees them.
std::size_t intervals_of(TimelineStore& reader, std::int64_t to_us) {
  IntervalQuery q;
  q.interval = "lab_order_to_final";
  q.from_us = 0;
  q.to_us = to_us + 1;
  auto rows = reader.intervals(q);
  return rows ? rows->size() : 0;
}

TEST(SqliteTimelineTest, ADrainRemovesOnlyTheRowsItRecorded) {
  // The inbox rows a drain recorded leave the journal after the timeline's commit. Should
  // another connection remove them meanwhile and the router then enqueue into the emptied
  // inbox, the new row must not take an id the drain still holds: the drain would remove it
  // unrecorded, and its marks would be lost.
  const TempDir dir;
  const auto journal = dir.path() / "journal.db";
  auto router = open_timeline(journal.string(), default_intervals());
  auto drainer = open_timeline(journal.string(), default_intervals());
  auto reader = open_timeline(journal.string(), default_intervals());
  ASSERT_TRUE(router && drainer && reader);
  const SubjectInfo lab = {"LAB", "", "", "", "R", "", ""};
  const Mark first[] = {{Scope::order, "ORD1", "ordered", 1'000'000, lab},
                        {Scope::order, "ORD1", "final", 61'000'000, lab}};
  const Mark next[] = {{Scope::order, "ORD2", "ordered", 1'000'000, lab},
                       {Scope::order, "ORD2", "final", 121'000'000, lab}};
  ASSERT_TRUE((*router)->enqueue(first));

  // Another connection holds the journal's write lock: the drain records ORD1, then waits.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(journal.c_str(), &other), SQLITE_OK);
  sqlite3_busy_timeout(other, 5000);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Result<Drained> drained = store::StoreError::io;
  std::thread drain([&] { drained = (*drainer)->drain(8, 4096); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (intervals_of(**reader, 61'000'000) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(intervals_of(**reader, 61'000'000), 1u);
  // Meanwhile a second drainer has removed ORD1's row, and the router enqueues ORD2 (both in
  // one transaction, so that the waiting drain cannot come in between).
  std::string encoded;
  encode_marks(next, encoded);
  sqlite3_stmt* insert = nullptr;
  EXPECT_EQ(sqlite3_exec(other, "DELETE FROM timeline_inbox", nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_EQ(sqlite3_prepare_v2(other, "INSERT INTO timeline_inbox(marks) VALUES(?1)", -1,
                               &insert, nullptr),
            SQLITE_OK);
  sqlite3_bind_blob64(insert, 1, encoded.data(), encoded.size(), SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(insert), SQLITE_DONE);
  sqlite3_finalize(insert);
  EXPECT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  drain.join();
  sqlite3_close(other);
  ASSERT_TRUE(drained) << drained.error().message();
  EXPECT_EQ(drained->rows, 1u);

  // ORD2 is still waiting to be recorded.
  EXPECT_EQ(count_rows(journal, "timeline_inbox"), 1);
  auto later = (*drainer)->drain(8, 4096);
  ASSERT_TRUE(later) << later.error().message();
  EXPECT_EQ(later->rows, 1u);
  EXPECT_EQ(intervals_of(**reader, 121'000'000), 2u);
}

TEST(SqliteTimelineTest, ADrainWhoseInboxRowsCannotLeaveReturnsWhatItRecorded) {
  // The timeline's file commits first; should the journal then refuse to lose the rows (a
  // full disk), the intervals are recorded all the same and the drain says so, with them.
  const TempDir dir;
  const auto journal = dir.path() / "journal.db";
  auto timeline = open_timeline(journal.string(), default_intervals());
  ASSERT_TRUE(timeline);
  const SubjectInfo lab = {"LAB", "", "", "", "R", "", ""};
  const Mark marks[] = {{Scope::order, "ORD1", "ordered", 1'000'000, lab},
                        {Scope::order, "ORD1", "final", 61'000'000, lab}};
  ASSERT_TRUE((*timeline)->enqueue(marks));
  ASSERT_TRUE(exec(journal,
                   "CREATE TRIGGER keep_inbox BEFORE DELETE ON timeline_inbox"
                   " BEGIN SELECT RAISE(ABORT, 'the journal cannot be written'); END"));

  auto kept = (*timeline)->drain(8, 4096);
  ASSERT_TRUE(kept) << kept.error().message();
  ASSERT_TRUE(kept->inbox_kept.has_value());
  EXPECT_FALSE(kept->inbox_kept->empty());  // the store's reason
  ASSERT_EQ(kept->recorded.size(), 1u);
  EXPECT_EQ(kept->recorded[0].subject, "ORD1");
  EXPECT_EQ(count_rows(journal, "timeline_inbox"), 1);
  EXPECT_EQ(intervals_of(**timeline, 61'000'000), 1u);

  ASSERT_TRUE(exec(journal, "DROP TRIGGER keep_inbox"));
  auto again = (*timeline)->drain(8, 4096);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_FALSE(again->inbox_kept.has_value());
  EXPECT_EQ(again->rows, 1u);
  EXPECT_TRUE(again->recorded.empty());  // stored already
  EXPECT_EQ(count_rows(journal, "timeline_inbox"), 0);
  EXPECT_EQ(intervals_of(**timeline, 61'000'000), 1u);
}

TEST(SqliteTimelineTest, MovesTheTablesAnOlderReleaseKeptInTheJournal) {
  const TempDir dir;
  const auto journal = dir.path() / "hisbridge.db";
  ASSERT_TRUE(store::open_store(journal.string()));
  // The tables as the release before kept them, in the journal's file, with one interval.
  {
    auto t = open_timeline((dir.path() / "old.db").string(), default_intervals());
    ASSERT_TRUE(t);
    const Mark marks[] = {
        {Scope::order, "XN-1", "ordered", 1'000'000, {"LAB", "V1", "P1", "CC", "S", "GLU", ""}},
        {Scope::order, "XN-1", "final", 61'000'000, {}}};
    ASSERT_TRUE((*t)->record(marks));
  }
  ASSERT_TRUE(exec(journal, ("ATTACH DATABASE '" + (dir.path() / "old.timeline.db").string() +
                             "' AS old;"
                             "CREATE TABLE timeline_schema AS SELECT * FROM old.timeline_schema;"
                             "CREATE TABLE timeline_subjects AS SELECT * FROM old.timeline_subjects;"
                             "CREATE TABLE timeline_marks AS SELECT * FROM old.timeline_marks;"
                             "CREATE TABLE timeline_intervals AS SELECT * FROM old.timeline_intervals;")
                                .c_str()));
  auto t = open_timeline(journal.string(), default_intervals());
  ASSERT_TRUE(t) << t.error().message();
  IntervalQuery q;
  q.interval = "lab_order_to_final";
  q.from_us = 0;
  q.to_us = 100'000'000;
  auto rows = (*t)->intervals(q);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].duration_us, 60'000'000);
  EXPECT_EQ((*rows)[0].department, "CC");
  const auto moved = dir.path() / "hisbridge.timeline.db";
  EXPECT_EQ(count_rows(moved, "timeline_marks"), 2);
  EXPECT_EQ(count_rows(moved, "timeline_subjects"), 1);
  for (const char* table : {"timeline_schema", "timeline_subjects", "timeline_marks",
                            "timeline_intervals"}) {
    EXPECT_EQ(count_rows(journal, table), -1) << table << " left in the journal";
  }
  // Opening again copies nothing twice.
  ASSERT_TRUE(open_timeline(journal.string(), default_intervals()));
  EXPECT_EQ(count_rows(moved, "timeline_marks"), 2);
}

TEST(SqliteTimelineTest, LocationsThatNameNoStoreAreBadConfig) {
  for (const char* bad : {"", "mysql://h/db", "sqlite:", "sqlite://", "password=x"}) {
    auto opened = open_timeline(bad, default_intervals());
    ASSERT_FALSE(opened) << bad;
    EXPECT_EQ(opened.error(), store::StoreError::bad_config) << bad;
  }
}

TEST(SqliteTimelineTest, UsesTheWindowIndexForIntervalsAndTheKindIndexForOverdue) {
  const TempDir dir;
  const auto journal = dir.path() / "journal.db";
  ASSERT_TRUE(open_timeline(journal.string(), default_intervals()));
  const auto file = sqlite_schema::timeline_file(journal);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  const auto plan = [&](const char* sql) {
    std::string out;
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, (std::string("EXPLAIN QUERY PLAN ") + sql).c_str(), -1, &s,
                                 nullptr),
              SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
      out += reinterpret_cast<const char*>(sqlite3_column_text(s, 3));
      out += "\n";
    }
    sqlite3_finalize(s);
    return out;
  };
  const std::string window = plan(
      "SELECT duration_us, invalid, priority, department, service_code, modality FROM "
      "timeline_intervals WHERE interval_name = 'x' AND to_us >= 1 AND to_us < 2 AND "
      "department = 'd'");
  EXPECT_NE(window.find("COVERING INDEX timeline_intervals_window"), std::string::npos) << window;
  const std::string running = plan(
      "SELECT m.subject FROM timeline_marks AS m WHERE m.scope = 'order' AND m.kind = 'ordered'"
      " AND m.at_us >= 1 AND m.at_us < 2");
  EXPECT_NE(running.find("timeline_marks_kind"), std::string::npos) << running;
  sqlite3_close(db);
}

}  // namespace
}  // namespace hisbridge::timeline
