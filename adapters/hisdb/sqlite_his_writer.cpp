#include "adapters/hisdb/sqlite_his_writer.hpp"

#include <spdlog/spdlog.h>

#include <string>
#include <vector>

#include "adapters/hisdb/his_sql.hpp"
#include "adapters/hisdb/write_time.hpp"

namespace hisbridge::hisdb {
namespace fs = std::filesystem;
using store::sqlite::ResetOnExit;
using store::sqlite::Statement;

namespace {

HisDbError error_for(int rc) noexcept {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return HisDbError::busy;
    case SQLITE_CONSTRAINT:
      return HisDbError::constraint;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return HisDbError::corrupt;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      return HisDbError::unavailable;
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:  // the file system remounted read-only after disk errors, say
    case SQLITE_NOMEM:
      return HisDbError::storage;
    default:
      return HisDbError::io;  // TOOBIG, MISMATCH, MISUSE, ...
  }
}

// Logs and returns the error; `why` (when given) receives the same words.
boost::system::error_code report(sqlite3* db, int rc, std::string_view what, std::string* why) {
  const std::string text = std::string("sqlite ") + std::string(what) + ": " +
                           (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  spdlog::error("hisdb: {} (code {})", text, rc);
  if (why != nullptr) {
    *why = text;
  }
  return make_error_code(error_for(rc));
}

// The pragmas of a durable writer: WAL (the HIS reads while we write), every commit fsync'ed.
Result<void> configure(sqlite3* db, const HisWriterOptions& o) {
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, o.busy_timeout_ms);
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &raw, nullptr);
  const Statement mode(raw);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(mode.get());
  }
  if (rc != SQLITE_ROW) {
    return report(db, rc, "journal_mode", nullptr);
  }
  // journal_mode answers with the mode it got: a file system without shared memory keeps the
  // old one, and then readers would block the writer.
  if (store::sqlite::column_text(mode.get(), 0) != "wal") {
    spdlog::error("hisdb: sqlite could not switch the journal to WAL mode");
    return HisDbError::unavailable;
  }
  rc = sqlite3_exec(db, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return report(db, rc, "synchronous", nullptr);
  }
  return {};
}

// Creates the tables in one transaction and refuses a file of a newer schema version.
Result<void> ensure_schema(sqlite3* db) {
  const std::string sql = "BEGIN IMMEDIATE;\n" + create_schema_sql() + "COMMIT;";
  if (const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    const auto ec = report(db, rc, "create schema", nullptr);
    if (sqlite3_get_autocommit(db) == 0) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    return ec;
  }
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, kSchemaVersionSql, -1, &raw, nullptr);
  const Statement version(raw);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(version.get());
  }
  if (rc != SQLITE_ROW) {
    return report(db, rc, "read schema version", nullptr);
  }
  if (const auto v = sqlite3_column_int64(version.get(), 0); v > kSchemaVersion) {
    spdlog::error("hisdb: his_schema version {} is newer than this hisbridge knows ({})", v,
                  kSchemaVersion);
    return HisDbError::corrupt;
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<SqliteHisWriter>> SqliteHisWriter::open(const fs::path& file,
                                                               const HisWriterOptions& options) {
  std::error_code ec;
  if (file.has_parent_path() && !fs::is_directory(file.parent_path(), ec)) {
    fs::create_directories(file.parent_path(), ec);
    if (ec) {
      spdlog::error("hisdb: cannot create {}: {}", file.parent_path().string(), ec.message());
      return HisDbError::unavailable;
    }
  }
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(file.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  store::sqlite::Db db(raw);
  if (rc != SQLITE_OK) {
    return report(raw, rc, "open " + file.string(), nullptr);
  }
  if (auto done = configure(db.get(), options); !done) {
    return done.error();
  }
  if (auto done = ensure_schema(db.get()); !done) {
    return done.error();
  }
  std::unique_ptr<SqliteHisWriter> writer(new SqliteHisWriter(std::move(db), options));
  if (auto done = writer->prepare_transaction_statements(); !done) {
    return done.error();
  }
  return writer;
}

SqliteHisWriter::SqliteHisWriter(store::sqlite::Db db, HisWriterOptions options)
    : db_(std::move(db)), options_(std::move(options)) {}

Result<void> SqliteHisWriter::prepare_transaction_statements() {
  // IMMEDIATE takes the write lock at BEGIN, so a busy database fails there (after the busy
  // timeout) rather than halfway through the message.
  const std::pair<Statement*, const char*> all[] = {
      {&begin_, "BEGIN IMMEDIATE"}, {&commit_, "COMMIT"}, {&rollback_, "ROLLBACK"}};
  for (const auto& [statement, sql] : all) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    statement->reset(raw);
    if (rc != SQLITE_OK) {
      return fail(rc, "prepare");
    }
  }
  return {};
}

boost::system::error_code SqliteHisWriter::fail(int rc, std::string_view what) {
  return report(db_.get(), rc, what, &last_error_);
}

Result<void> SqliteHisWriter::write(std::span<const mapping::Record> records) {
  last_error_.clear();
  std::vector<Row> rows;
  rows.reserve(records.size());
  for (const mapping::Record& record : records) {
    auto row = to_row(record, last_error_);
    if (!row) {
      spdlog::error("hisdb: invalid record: {}", last_error_);
      return row.error();
    }
    rows.push_back(*row);
  }
  if (rows.empty()) {
    return {};
  }
  return write_rows(rows, iso8601_utc(options_.clock()));
}

Result<void> SqliteHisWriter::write_rows(std::span<const Row> rows, const std::string& now) {
  {
    const ResetOnExit reset(begin_.get());
    if (const int rc = sqlite3_step(begin_.get()); rc != SQLITE_DONE) {
      return fail(rc, "begin");
    }
  }
  Result<void> done;
  for (const Row& row : rows) {
    if (done = upsert(row, now); !done) {
      break;
    }
  }
  if (done) {
    const ResetOnExit reset(commit_.get());
    if (const int rc = sqlite3_step(commit_.get()); rc != SQLITE_DONE) {
      done = fail(rc, "commit");
    }
  }
  // A failed statement or commit may leave the transaction open (SQLite rolls some errors
  // back by itself): end it, so nothing of this message stays behind.
  if (!done && sqlite3_get_autocommit(db_.get()) == 0) {
    const ResetOnExit reset(rollback_.get());
    sqlite3_step(rollback_.get());
  }
  return done;
}

Result<sqlite3_stmt*> SqliteHisWriter::statement(const Row& row) {
  const auto key = std::make_pair(row.table, row.carried);
  if (const auto it = upserts_.find(key); it != upserts_.end()) {
    return it->second.get();
  }
  const std::string sql = upsert_sql(*row.table, row.carried, Dialect::sqlite);
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  Statement prepared(raw);
  if (rc != SQLITE_OK) {
    // Our SQL is generated from the schema it created: a plain SQL error means the table in the
    // file is not the staging schema (a column missing from a table someone made by hand).
    const auto ec = fail(rc, "prepare upsert of " + std::string(row.table->name));
    return (rc & 0xff) == SQLITE_ERROR ? make_error_code(HisDbError::corrupt) : ec;
  }
  return upserts_.emplace(key, std::move(prepared)).first->second.get();
}

Result<void> SqliteHisWriter::upsert(const Row& row, const std::string& now) {
  auto prepared = statement(row);
  if (!prepared) {
    return prepared.error();
  }
  sqlite3_stmt* s = *prepared;
  const ResetOnExit reset(s);
  const TableDef& table = *row.table;
  int n = 0;
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    int rc = SQLITE_OK;
    if (i == table.updated_at()) {
      rc = store::sqlite::bind_text(s, ++n, now);
    } else if (!row.carries(i)) {
      continue;
    } else if (row.values[i]->is_null()) {
      rc = sqlite3_bind_null(s, ++n);
    } else if (table.columns[i].integer) {
      rc = store::sqlite::bind_int(s, ++n, row.integers[i]);
    } else {
      rc = store::sqlite::bind_text(s, ++n, row.values[i]->text);
    }
    if (rc != SQLITE_OK) {
      return fail(rc, "bind");
    }
  }
  if (const int rc = sqlite3_step(s); rc != SQLITE_DONE) {
    return fail(rc, "upsert into " + std::string(table.name));
  }
  return {};
}

}  // namespace hisbridge::hisdb
