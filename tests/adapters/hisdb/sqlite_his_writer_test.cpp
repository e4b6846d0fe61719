// What only the SQLite writer does: WAL, a lock held by another connection, a disk that takes no
// more bytes, files that are not (or not yet) a HIS staging database.
#include "adapters/hisdb/sqlite_his_writer.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/adapters/hisdb/hisdb_test_env.hpp"

namespace hisbridge::hisdb {
namespace {

using testing::record;
using testing::TempDir;
using testing::text;

// A second connection to the same file, as the HIS (or another engine node) would hold.
class OtherConnection {
 public:
  explicit OtherConnection(const std::filesystem::path& file) {
    EXPECT_EQ(sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  }
  ~OtherConnection() { sqlite3_close_v2(db_); }
  OtherConnection(const OtherConnection&) = delete;
  OtherConnection& operator=(const OtherConnection&) = delete;

  bool exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  std::string text_of(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
      out = p != nullptr ? p : "";
    }
    sqlite3_finalize(s);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

mapping::Record patient(const std::string& id) {
  return record("his_patient", {{"patient_id", text(id)}, {"full_name", text("Lê Văn An")}});
}

TEST(SqliteHisWriterTest, CreatesFoldersTablesAndUsesWal) {
  const TempDir dir;
  const auto file = dir.path() / "var" / "deeper" / "his.db";
  auto writer = SqliteHisWriter::open(file);
  ASSERT_TRUE(writer) << writer.error().message();
  OtherConnection other(file);
  EXPECT_EQ(other.text_of("PRAGMA journal_mode"), "wal");
  for (const char* table :
       {"his_patient", "his_visit", "his_order", "his_result", "his_report", "his_schema"}) {
    EXPECT_EQ(
        other.text_of(std::string("SELECT name FROM sqlite_master WHERE name = '") + table + "'"),
        table);
  }
  EXPECT_EQ(other.text_of("SELECT type FROM pragma_table_info('his_result') WHERE name = 'seq'"),
            "INTEGER");
}

TEST(SqliteHisWriterTest, BusyWhileAnotherConnectionWritesThenSucceeds) {
  const TempDir dir;
  const auto file = dir.path() / "his.db";
  HisWriterOptions options;
  options.busy_timeout_ms = 20;
  auto writer = SqliteHisWriter::open(file, options);
  ASSERT_TRUE(writer) << writer.error().message();
  const std::vector<mapping::Record> message = {patient("P1")};

  OtherConnection other(file);
  ASSERT_TRUE(other.exec("BEGIN IMMEDIATE"));
  ASSERT_TRUE(other.exec("INSERT INTO his_patient (patient_id) VALUES ('P0')"));
  const auto blocked = (*writer)->write(message);
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error(), HisDbError::busy);
  EXPECT_TRUE(is_retryable(blocked.error()));
  EXPECT_NE((*writer)->last_error().find("begin"), std::string::npos) << (*writer)->last_error();

  ASSERT_TRUE(other.exec("COMMIT"));
  ASSERT_TRUE((*writer)->write(message));
  EXPECT_EQ(other.text_of("SELECT group_concat(patient_id) FROM "
                          "(SELECT patient_id FROM his_patient ORDER BY patient_id)"),
            "P0,P1");
}

// A disk that takes no more bytes (the file size limit, which fails a growing write as a full
// disk does) is a storage error, retried by the delivery queue rather than dead-lettered, and
// the same records go in once there is room. In a child process: the limit is the process's.
TEST(SqliteHisWriterDeathTest, AFullDiskIsRetryableAndTheRecordsGoInOnceThereIsRoom) {
  const TempDir dir;
  const auto file = dir.path() / "his.db";
  const auto in_child = [&]() -> int {
    auto writer = SqliteHisWriter::open(file);
    std::vector<mapping::Record> message = {patient("P0")};
    if (!writer || !(*writer)->write(message)) {
      return 10;
    }
    rlimit limit{};
    getrlimit(RLIMIT_FSIZE, &limit);
    const rlimit room = limit;
    std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit then fails with EFBIG
    std::error_code ec;
    limit.rlim_cur = std::max(std::filesystem::file_size(file, ec),
                              std::filesystem::file_size(file.string() + "-wal", ec));
    setrlimit(RLIMIT_FSIZE, &limit);
    Result<void> written;
    for (int i = 1; i <= 2000 && written; ++i) {  // until a write needs a byte more
      message = {patient("P" + std::to_string(i))};
      written = (*writer)->write(message);
    }
    if (written) {
      return 11;
    }
    if (written.error() != HisDbError::storage || !is_retryable(written.error())) {
      std::fprintf(stderr, "a full disk gave: %s\n", written.error().message().c_str());
      return 12;
    }
    setrlimit(RLIMIT_FSIZE, &room);
    if (!(*writer)->write(message)) {
      return 13;
    }
    OtherConnection other(file);
    return other.text_of("SELECT count(*) FROM his_patient WHERE patient_id = '" +
                         std::string(message[0].values[0].text) + "'") == "1"
               ? 0
               : 14;
  };
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // The child runs the test again, with a folder of its own that _Exit would leave behind.
  const auto run_child = [&]() -> int {
    const int code = in_child();
    std::error_code ignored;
    std::filesystem::remove_all(dir.path(), ignored);
    return code;
  };
  EXPECT_EXIT(std::_Exit(run_child()), ::testing::ExitedWithCode(0), "");
}

TEST(SqliteHisWriterTest, RefusesANewerSchemaVersion) {
  const TempDir dir;
  const auto file = dir.path() / "his.db";
  ASSERT_TRUE(SqliteHisWriter::open(file));
  {
    OtherConnection other(file);
    ASSERT_TRUE(other.exec("UPDATE his_schema SET version = 2"));
  }
  const auto reopened = SqliteHisWriter::open(file);
  ASSERT_FALSE(reopened);
  EXPECT_EQ(reopened.error(), HisDbError::corrupt);
}

TEST(SqliteHisWriterTest, RefusesAFileThatIsNotADatabase) {
  const TempDir dir;
  const auto file = dir.path() / "his.db";
  std::ofstream(file) << std::string(8192, 'x');
  const auto opened = SqliteHisWriter::open(file);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error(), HisDbError::corrupt);
}

TEST(SqliteHisWriterTest, TableWithoutAContractColumnIsCorrupt) {
  const TempDir dir;
  const auto file = dir.path() / "his.db";
  // A table someone made by hand before the writer first ran.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE his_patient (patient_id TEXT PRIMARY KEY)", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto writer = SqliteHisWriter::open(file);
  ASSERT_TRUE(writer) << writer.error().message();
  const auto written = (*writer)->write(std::vector{patient("P1")});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error(), HisDbError::corrupt);
  EXPECT_NE((*writer)->last_error().find("full_name"), std::string::npos)
      << (*writer)->last_error();
}

}  // namespace
}  // namespace hisbridge::hisdb
