#pragma once

// Shared by the HIS writer tests: records built from (column, value) lists, a fake clock, and
// a test database of either kind that the writer opens and the test reads back with its own
// connection. PostgreSQL needs HISBRIDGE_TEST_PG (a libpq URI; scripts/test starts a server);
// each PgTestSchema is a schema of its own (hisdb_test_<pid>_<n>_<random>), dropped at the
// end, so tests and test runs sharing a server never see each other's rows.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapters/hisdb/his_writer.hpp"
#include "engine/mapping/record.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/kept_values.hpp"

namespace hisbridge::hisdb::testing {

using Cell = std::optional<std::string>;  // nullopt = SQL NULL
using Columns = std::vector<std::pair<std::string, mapping::Value>>;

inline mapping::Value text(std::string_view s) { return testing_support::kept_text(s); }
inline mapping::Value null() { return mapping::Value::null(); }

// A record of `table` carrying exactly `columns`, in that order.
mapping::Record record(const std::string& table, const Columns& columns);

// A clock for HisWriterOptions that moves one hour on every call, from 2026-03-05T01:15:00Z,
// so every write has a write time of its own.
struct FakeClock {
  std::shared_ptr<std::int64_t> now_us;
  FakeClock();
  std::int64_t operator()() const;
  // The ISO 8601 form of the time the last call returned.
  std::string last() const;
};

enum class Backend { sqlite, postgres };
void PrintTo(Backend b, std::ostream* os);

// The message a test skips PostgreSQL with when HISBRIDGE_TEST_PG is unset.
inline constexpr const char* kNoPgServer =
    "HISBRIDGE_TEST_PG is not set: PostgreSQL not tested (scripts/test starts a server and "
    "sets it, e.g. postgresql://postgres@127.0.0.1:55432/postgres)";
std::optional<std::string> pg_test_server();

// A place for one test's HIS tables, and a second connection to look at them.
class TestDatabase {
 public:
  virtual ~TestDatabase() = default;
  // The location and options open_his_writer needs to write here.
  virtual std::string location() const = 0;
  virtual HisWriterOptions options() const = 0;
  // Runs SQL that returns rows, each cell as text; an empty result on failure (and a
  // gtest failure).
  virtual std::vector<std::vector<Cell>> query(const std::string& sql) = 0;
  // Runs SQL without rows; false on failure.
  virtual bool execute(const std::string& sql) = 0;
  // Makes every insert into his_order of `order_no` fail inside the database (a trigger), so
  // a test can see a failure halfway through a message.
  virtual bool fail_order_inserts(const std::string& order_no) = 0;

  // The row of `table` whose `where` holds (SQL), as column -> value; empty when none.
  std::map<std::string, Cell> row(const std::string& table, const std::string& where);
  // Every row of the five tables as text, for comparing before and after.
  std::vector<std::vector<Cell>> snapshot();
};

// SQLite file in a new temporary folder (removed afterwards).
std::unique_ptr<TestDatabase> make_sqlite_database();
// A fresh schema on HISBRIDGE_TEST_PG; nullptr (with the reason on stderr) when unreachable.
std::unique_ptr<TestDatabase> make_pg_database(const std::string& server);

using TempDir = testing_support::TempDir;

}  // namespace hisbridge::hisdb::testing
