#include "adapters/hisdb/postgres_his_writer.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "adapters/hisdb/his_sql.hpp"
#include "adapters/hisdb/write_time.hpp"

namespace hisbridge::hisdb {
namespace {

// Serializes schema creation between engine nodes: CREATE TABLE IF NOT EXISTS run by two
// sessions at once can fail on the catalog's unique index. Any fixed number does.
constexpr const char* kSchemaLock = "SELECT pg_advisory_xact_lock(7203142516)";

HisDbError error_for(PGconn* conn, const PGresult* result) noexcept {
  if (conn == nullptr || PQstatus(conn) == CONNECTION_BAD) {
    return HisDbError::unavailable;  // nothing can be known to have committed
  }
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string_view s = state != nullptr ? state : "";
  const std::string_view cls = s.substr(0, 2);
  if (s.size() != 5) {
    return HisDbError::io;
  }
  if (cls == "23") {
    return HisDbError::constraint;
  }
  if (s == "40001" || s == "40P01" || s == "55P03" || s == "57014") {
    return HisDbError::busy;  // serialization, deadlock, lock_timeout, statement timeout
  }
  if (cls == "08" || cls == "57" || s == "53300") {
    return HisDbError::unavailable;  // connection exception, shutdown, too many connections
  }
  if (cls == "53" || cls == "58") {
    return HisDbError::storage;  // disk full, out of memory; the server's own I/O errors
  }
  if (cls == "22") {
    return HisDbError::invalid_record;  // a value the column's type refuses
  }
  if (cls == "XX" || cls == "42") {
    return HisDbError::corrupt;  // data corrupted; tables that are not the staging schema
  }
  if (cls == "28" || cls == "3D") {
    return HisDbError::bad_config;  // authentication, unknown database
  }
  return HisDbError::io;
}

std::string trimmed(const char* text);

// Server notices ("relation already exists, skipping" from the schema's IF NOT EXISTS) go to
// the log at debug level rather than to standard error.
void log_notice(void* /*unused*/, const char* message) {
  spdlog::debug("hisdb: postgresql: {}", trimmed(message));
}

std::string trimmed(const char* text) {
  std::string s = text != nullptr ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

std::string quote_identifier(PGconn* conn, const std::string& name) {
  char* quoted = PQescapeIdentifier(conn, name.data(), name.size());
  std::string out = quoted != nullptr ? quoted : "";
  PQfreemem(quoted);
  return out;
}

std::string statement_name(const TableDef& table, std::uint32_t carried) {
  char mask[16];
  std::snprintf(mask, sizeof mask, "%08x", carried);
  return "hisdb_" + std::string(table.name) + "_" + mask;
}

}  // namespace

Result<std::unique_ptr<PostgresHisWriter>> PostgresHisWriter::open(
    std::string_view conninfo, const HisWriterOptions& options) {
  std::string info(conninfo);
  char* message = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(info.c_str(), &message);
  if (parsed == nullptr) {
    // The string itself is not logged: it may hold a password.
    spdlog::error("hisdb: postgresql connection string: {}", trimmed(message));
    PQfreemem(message);
    return HisDbError::bad_config;
  }
  PQconninfoFree(parsed);
  std::unique_ptr<PostgresHisWriter> writer(new PostgresHisWriter(std::move(info), options));
  if (auto connected = writer->connect(); !connected) {
    return connected.error();
  }
  if (auto done = writer->ensure_schema(); !done) {
    return done.error();
  }
  return writer;
}

PostgresHisWriter::PostgresHisWriter(std::string conninfo, HisWriterOptions options)
    : conninfo_(std::move(conninfo)), options_(std::move(options)) {}

Result<void> PostgresHisWriter::connect() {
  conn_.reset();
  upserts_.clear();
  // Our defaults come first: the connection string (expanded from dbname) overrides them.
  const std::string timeout = std::to_string(options_.connect_timeout_s);
  const char* keys[] = {"connect_timeout",  "keepalives", "keepalives_idle",
                        "application_name", "dbname",     nullptr};
  const char* values[] = {timeout.c_str(),   "1",    "30", options_.application_name.c_str(),
                          conninfo_.c_str(), nullptr};
  conn_.reset(PQconnectdbParams(keys, values, 1));
  if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
    return fail(nullptr, "connect");
  }
  PQsetNoticeProcessor(conn_.get(), log_notice, nullptr);
  if (PQsetClientEncoding(conn_.get(), "UTF8") != 0) {
    return fail(nullptr, "set client encoding");
  }
  std::string setup =
      "SET synchronous_commit = on; SET lock_timeout = " + std::to_string(options_.busy_timeout_ms);
  if (!options_.schema.empty()) {
    const std::string schema = quote_identifier(conn_.get(), options_.schema);
    setup += "; CREATE SCHEMA IF NOT EXISTS " + schema + "; SET search_path TO " + schema;
  }
  return exec(setup, PGRES_COMMAND_OK, "set up the session");
}

Result<void> PostgresHisWriter::ensure_schema() {
  const std::string sql = std::string("BEGIN; ") + kSchemaLock + ";\n" + create_schema_sql();
  if (auto done = exec(sql, PGRES_COMMAND_OK, "create schema"); !done) {
    exec("ROLLBACK", PGRES_COMMAND_OK, "rollback");
    return done;
  }
  const store::pg::PgResult version(PQexec(conn_.get(), kSchemaVersionSql));
  if (!version || PQresultStatus(version.get()) != PGRES_TUPLES_OK) {
    const auto ec = fail(version.get(), "read schema version");
    exec("ROLLBACK", PGRES_COMMAND_OK, "rollback");
    return ec;
  }
  if (const long v = std::atol(PQgetvalue(version.get(), 0, 0)); v > kSchemaVersion) {
    spdlog::error("hisdb: his_schema version {} is newer than this hisbridge knows ({})", v,
                  kSchemaVersion);
    exec("ROLLBACK", PGRES_COMMAND_OK, "rollback");
    return HisDbError::corrupt;
  }
  return exec("COMMIT", PGRES_COMMAND_OK, "commit schema");
}

Result<void> PostgresHisWriter::exec(const std::string& sql, ExecStatusType expected,
                                     std::string_view what) {
  const store::pg::PgResult r(PQexec(conn_.get(), sql.c_str()));
  if (!r || PQresultStatus(r.get()) != expected) {
    return fail(r.get(), what);
  }
  return {};
}

boost::system::error_code PostgresHisWriter::fail(const PGresult* result, std::string_view what) {
  std::string text = result != nullptr ? trimmed(PQresultErrorMessage(result)) : "";
  if (text.empty()) {
    text = conn_ ? trimmed(PQerrorMessage(conn_.get())) : "no connection";
  }
  last_error_ = "postgresql " + std::string(what) + ": " + text;
  spdlog::error("hisdb: {}", last_error_);
  const HisDbError e = error_for(conn_.get(), result);
  if (e == HisDbError::unavailable) {
    conn_.reset();  // the next write() connects again
  }
  return e;
}

Result<void> PostgresHisWriter::write(std::span<const mapping::Record> records) {
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
  if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
    if (auto connected = connect(); !connected) {
      return connected.error();
    }
  }
  return write_rows(rows, iso8601_utc(options_.clock()));
}

Result<void> PostgresHisWriter::write_rows(std::span<const Row> rows, const std::string& now) {
  if (auto begun = exec("BEGIN", PGRES_COMMAND_OK, "begin"); !begun) {
    return begun;
  }
  Result<void> done;
  for (const Row& row : rows) {
    if (done = upsert(row, now); !done) {
      break;
    }
  }
  if (done) {
    done = exec("COMMIT", PGRES_COMMAND_OK, "commit");
  } else if (conn_) {
    const store::pg::PgResult r(PQexec(conn_.get(), "ROLLBACK"));
  }
  return done;
}

Result<std::string> PostgresHisWriter::statement(const Row& row) {
  const auto key = std::make_pair(row.table, row.carried);
  if (const auto it = upserts_.find(key); it != upserts_.end()) {
    return it->second;
  }
  std::string name = statement_name(*row.table, row.carried);
  const std::string sql = upsert_sql(*row.table, row.carried, Dialect::postgres);
  // Parameter types are left to the server: each one stands for a column, whose type it takes.
  const store::pg::PgResult r(PQprepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr));
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    return fail(r.get(), "prepare upsert of " + std::string(row.table->name));
  }
  return upserts_.emplace(key, std::move(name)).first->second;
}

Result<void> PostgresHisWriter::upsert(const Row& row, const std::string& now) {
  auto name = statement(row);
  if (!name) {
    return name.error();
  }
  const TableDef& table = *row.table;
  std::vector<const char*> params;
  // The parameters' texts, NUL-terminated as libpq reads a text parameter (a value is a view of
  // the mapping's output), kept alive until the statement ran; reserved, so none moves.
  std::vector<std::string> texts;
  texts.reserve(table.columns.size());
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (i == table.updated_at()) {
      params.push_back(now.c_str());
    } else if (!row.carries(i)) {
      continue;
    } else if (row.values[i]->is_null()) {
      params.push_back(nullptr);
    } else if (table.columns[i].integer) {
      params.push_back(texts.emplace_back(std::to_string(row.integers[i])).c_str());
    } else {
      params.push_back(texts.emplace_back(row.values[i]->text).c_str());
    }
  }
  const store::pg::PgResult r(PQexecPrepared(conn_.get(), name->c_str(),
                                             static_cast<int>(params.size()), params.data(),
                                             nullptr, nullptr, 0));
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    return fail(r.get(), "upsert into " + std::string(table.name));
  }
  return {};
}

}  // namespace hisbridge::hisdb
