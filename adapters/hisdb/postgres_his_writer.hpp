#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "adapters/hisdb/his_row.hpp"
#include "adapters/hisdb/his_writer.hpp"
#include "engine/store/pg_connection.hpp"

namespace hisbridge::hisdb {

// The HIS staging schema in a PostgreSQL database, through one libpq connection.
// synchronous_commit is forced on: write() returns after its transaction is durable.
//
// A lost connection fails the write in progress with HisDbError::unavailable (nothing of it is
// known to have committed, and the caller retries the whole message, which the upserts make
// safe); the next write() connects again, once, and fails with unavailable when it cannot.
// Lock waits longer than HisWriterOptions::busy_timeout_ms fail with busy (lock_timeout).
class PostgresHisWriter final : public HisWriter {
 public:
  // Connects, creates HisWriterOptions::schema when set, and creates the tables (under an
  // advisory lock, so engine nodes starting together do not race). Fails with bad_config for a
  // malformed connection string, unavailable when the server cannot be reached, corrupt for a
  // newer schema version.
  static Result<std::unique_ptr<PostgresHisWriter>> open(std::string_view conninfo,
                                                         const HisWriterOptions& options = {});

  PostgresHisWriter(const PostgresHisWriter&) = delete;
  PostgresHisWriter& operator=(const PostgresHisWriter&) = delete;
  ~PostgresHisWriter() override = default;

  Result<void> write(std::span<const mapping::Record> records) override;
  const std::string& last_error() const override { return last_error_; }

 private:
  PostgresHisWriter(std::string conninfo, HisWriterOptions options);
  Result<void> connect();
  Result<void> ensure_schema();
  Result<void> write_rows(std::span<const Row> rows, const std::string& now);
  Result<void> upsert(const Row& row, const std::string& now);
  // The name of the prepared upsert for this table and column set, prepared on first use on
  // this connection.
  Result<std::string> statement(const Row& row);
  // Runs SQL without parameters; fails unless the result has `expected`.
  Result<void> exec(const std::string& sql, ExecStatusType expected, std::string_view what);
  // Logs, keeps the words in last_error_, and drops the connection when it is gone.
  boost::system::error_code fail(const PGresult* result, std::string_view what);

  std::string conninfo_;
  HisWriterOptions options_;
  store::pg::Connection conn_;
  // Prepared statement names by (table, carried columns), valid for conn_ only.
  std::map<std::pair<const TableDef*, std::uint32_t>, std::string> upserts_;
  std::string last_error_;
};

}  // namespace hisbridge::hisdb
