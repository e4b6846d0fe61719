#pragma once

// The HIS database destination: writes the records a mapping made of one message into the HIS
// staging schema (design.md) of a SQLite file or a PostgreSQL database.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "adapters/hisdb/error.hpp"
#include "engine/core/clock.hpp"
#include "engine/core/result.hpp"
#include "engine/mapping/record.hpp"

namespace hisbridge::hisdb {

struct HisWriterOptions {
  // How long a write waits for a lock another writer holds before it fails with
  // HisDbError::busy: SQLite's busy timeout, PostgreSQL's lock_timeout.
  int busy_timeout_ms = 5000;
  // PostgreSQL: how long connecting may take.
  int connect_timeout_s = 10;
  // PostgreSQL: the schema that holds the tables, created when missing and put first on the
  // search_path of every connection; empty keeps the connection's own search_path. SQLite
  // has no schemas and ignores it.
  std::string schema;
  // PostgreSQL: application_name of the connection, as pg_stat_activity shows it.
  std::string application_name = "hisbridge";
  // Wall clock for updated_at, microseconds since the epoch (UTC); tests pass a fake one.
  std::function<std::int64_t()> clock = unix_now_us;
};

// One connection; calls come from one thread at a time. The records passed to write() are
// only read during the call.
class HisWriter {
 public:
  virtual ~HisWriter() = default;

  // Writes every record of one message in ONE transaction (all or nothing), as upserts keyed
  // by the table's primary key (his_tables.hpp). Replaying the same records changes nothing,
  // updated_at included: it is set to the write time only when a row is new or some column
  // actually changed. A NULL value keeps what the row holds; a column the record does not
  // carry is left alone; a status of lower rank than the stored one only fills NULL columns
  // (his_sql.hpp has the exact rules).
  //
  // All records are checked before anything is written: HisDbError::invalid_record names the
  // first bad record's table and column in last_error(). Other failures: busy and unavailable
  // (is_retryable), constraint, io, corrupt. On any failure nothing of this call is committed.
  virtual Result<void> write(std::span<const mapping::Record> records) = 0;

  // Why the last write() failed, in words (empty after a success): the writer's own words
  // name tables and columns, never record values (patient data); a database failure adds the
  // driver's message.
  virtual const std::string& last_error() const = 0;
};

// Opens the HIS staging database a configuration names, creating the tables when missing.
// Same convention as the journal (engine/store/open_store.hpp):
// - `sqlite:PATH` (also `sqlite://PATH`, `sqlite:///ABSOLUTE`) or a plain file path such as
//   `var/his.db` → SqliteHisWriter;
// - `postgresql://...`, `postgres://...` or a libpq key=value string (host=, dbname=, ...)
//   → PostgresHisWriter;
// - anything else → HisDbError::bad_config.
Result<std::unique_ptr<HisWriter>> open_his_writer(std::string_view location,
                                                   const HisWriterOptions& options = {});

}  // namespace hisbridge::hisdb
