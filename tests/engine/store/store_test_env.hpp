#pragma once

// Test fixtures shared by the store tests: a temporary folder, and a throw-away PostgreSQL
// database on the server that HISBRIDGE_TEST_PG names (scripts/test starts one); the place a
// contract test runs on for each backend, and a journal message to store.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "engine/store/open_store.hpp"
#include "engine/store/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge::store::testing {

using TempDir = testing_support::TempDir;

// The connection URI in HISBRIDGE_TEST_PG, when set and not empty.
std::optional<std::string> pg_test_server();

// The message a test skips PostgreSQL with when HISBRIDGE_TEST_PG is unset.
inline constexpr const char* kNoPgServer =
    "HISBRIDGE_TEST_PG is not set: PostgreSQL not tested (scripts/test starts a server and "
    "sets it, e.g. postgresql://postgres@127.0.0.1:55432/postgres)";

// A database created fresh on the test server for one test and dropped afterwards, so tests
// (and test runs) sharing a server never see each other's rows.
class PgTestDatabase {
 public:
  // nullptr (with the reason logged to stderr) when the server cannot be reached.
  static std::unique_ptr<PgTestDatabase> create(const std::string& server);
  ~PgTestDatabase();
  PgTestDatabase(const PgTestDatabase&) = delete;
  PgTestDatabase& operator=(const PgTestDatabase&) = delete;

  const std::string& name() const { return name_; }
  // A libpq key=value string: the server's settings with this database.
  const std::string& conninfo() const { return conninfo_; }
  // Runs SQL on the server's own database (not this one); false on failure.
  bool admin(const std::string& sql) const;

 private:
  PgTestDatabase(std::string server, std::string name, std::string conninfo);
  std::string server_;
  std::string name_;
  std::string conninfo_;
};

// The backends a contract suite runs against.
enum class Backend { sqlite, postgres };
void PrintTo(Backend b, std::ostream* os);

// Where one contract test keeps its data: `journal.db` in a new temporary folder, or a new
// database on the test server.
struct TestLocation {
  bool skipped = false;  // PostgreSQL asked for and HISBRIDGE_TEST_PG unset: skip (kNoPgServer)
  std::optional<TempDir> dir;                 // SQLite
  std::unique_ptr<PgTestDatabase> database;  // PostgreSQL
  std::string location;  // the store location; empty when the server made no database
};
void open_test_location(Backend backend, TestLocation& out);

// The first column of the first row `sql` gives on SQLite file `file`, through a plain
// connection of its own; "" when there is none (or the SQL fails, e.g. on a missing table).
std::string sqlite_value(const std::filesystem::path& file, const std::string& sql);

// An ORU^R01 header as ingest would store it: sent by LIS at LAB for patient P1.
NewMessage test_message(std::string control_id, std::int64_t received_at_us,
                        std::string source = "lis");

// A contract suite's fixture, run once per backend: the test's store opened on a fresh
// location (skipped for PostgreSQL when HISBRIDGE_TEST_PG is unset), closed afterwards.
class StoreContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    open_test_location(GetParam(), place_);
    if (place_.skipped) {
      GTEST_SKIP() << kNoPgServer;
    }
    ASSERT_FALSE(place_.location.empty()) << "cannot create a database on HISBRIDGE_TEST_PG";
    auto opened = open_store(place_.location);
    ASSERT_TRUE(opened) << opened.error().message();
    store_ = std::move(*opened);
  }

  void TearDown() override { store_.reset(); }

  TestLocation place_;
  std::unique_ptr<Store> store_;
};

}  // namespace hisbridge::store::testing
