// What only the SQLite timeline does: where it opens, and which files it refuses.
#include "engine/timeline/sqlite_timeline.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "engine/store/error.hpp"
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
  ASSERT_TRUE(exec(file, "UPDATE timeline_schema SET version = 99"));
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
  const auto file = dir.path() / "journal.db";
  ASSERT_TRUE(open_timeline(file.string(), default_intervals()));
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
