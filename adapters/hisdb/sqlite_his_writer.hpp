#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "adapters/hisdb/his_row.hpp"
#include "adapters/hisdb/his_writer.hpp"
#include "engine/store/sqlite_db.hpp"

namespace hisbridge::hisdb {

// The HIS staging schema in one SQLite file, in WAL mode at synchronous=FULL: write() returns
// after its transaction is on disk. The file's `-wal` and `-shm` companions belong to it.
// Other connections (the HIS reading the rows, a second writer) may open the same file; a
// writer waits up to HisWriterOptions::busy_timeout_ms for another's write lock, then fails
// with HisDbError::busy.
class SqliteHisWriter final : public HisWriter {
 public:
  // Opens `file`, creating it and its parent folders when missing, and creates the tables.
  // Fails with unavailable when the file cannot be opened, corrupt when it is damaged, some
  // other database, or has a newer schema version.
  static Result<std::unique_ptr<SqliteHisWriter>> open(const std::filesystem::path& file,
                                                       const HisWriterOptions& options = {});

  SqliteHisWriter(const SqliteHisWriter&) = delete;
  SqliteHisWriter& operator=(const SqliteHisWriter&) = delete;
  ~SqliteHisWriter() override = default;

  Result<void> write(std::span<const mapping::Record> records) override;
  const std::string& last_error() const override { return last_error_; }

 private:
  SqliteHisWriter(store::sqlite::Db db, HisWriterOptions options);
  Result<void> prepare_transaction_statements();
  Result<void> write_rows(std::span<const Row> rows, const std::string& now);
  Result<void> upsert(const Row& row, const std::string& now);
  // The cached upsert for this table and column set, prepared on first use.
  Result<sqlite3_stmt*> statement(const Row& row);
  boost::system::error_code fail(int rc, std::string_view what);

  store::sqlite::Db db_;
  HisWriterOptions options_;
  store::sqlite::Statement begin_;
  store::sqlite::Statement commit_;
  store::sqlite::Statement rollback_;
  std::map<std::pair<const TableDef*, std::uint32_t>, store::sqlite::Statement> upserts_;
  std::string last_error_;
};

}  // namespace hisbridge::hisdb
