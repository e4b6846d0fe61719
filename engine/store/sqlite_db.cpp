#include "engine/store/sqlite_db.hpp"

#include <spdlog/spdlog.h>

#include <climits>
#include <string>

#include "engine/store/failure_log.hpp"

namespace hisbridge::store::sqlite {

Result<Db> open_file(const std::filesystem::path& file, std::string_view who) {
  std::error_code ec;
  if (file.has_parent_path() && !std::filesystem::is_directory(file.parent_path(), ec)) {
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
      spdlog::error("{}: cannot create {}: {}", who, file.parent_path().string(), ec.message());
      return StoreError::unavailable;
    }
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return fail(raw, rc, "open " + file.string());
  }
  return db;
}

StoreError error_for(int rc) noexcept {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StoreError::busy;
    case SQLITE_CONSTRAINT:
      return StoreError::constraint;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_SCHEMA:
      return StoreError::corrupt;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return StoreError::unavailable;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
      return StoreError::bad_config;
    default:
      return StoreError::io;  // IOERR, FULL, NOMEM, PROTOCOL, ...
  }
}

boost::system::error_code fail(sqlite3* db, int rc, std::string_view what) {
  const char* text = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  log_store_failure("sqlite", what, std::to_string(rc), text);
  return make_error_code(error_for(rc));
}

Result<Statement> prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  Statement statement(raw);
  if (rc != SQLITE_OK) {
    return fail(db, rc, "prepare");
  }
  return statement;
}

Result<void> exec(sqlite3* db, const char* sql) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return fail(db, rc, "exec");
  }
  return {};
}

Result<void> run(sqlite3* db, sqlite3_stmt* statement, std::string_view what) {
  const ResetOnExit reset(statement);
  const int rc = sqlite3_step(statement);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    return fail(db, rc, what);
  }
  return {};
}

int bind_text(sqlite3_stmt* s, int index, std::string_view text) noexcept {
  // A null pointer would bind NULL; an empty field is an empty string.
  const char* data = text.data() != nullptr ? text.data() : "";
  return sqlite3_bind_text64(s, index, data, text.size(), SQLITE_STATIC, SQLITE_UTF8);
}

int bind_blob(sqlite3_stmt* s, int index, std::string_view bytes) noexcept {
  const char* data = bytes.data() != nullptr ? bytes.data() : "";
  return sqlite3_bind_blob64(s, index, data, bytes.size(), SQLITE_STATIC);
}

int bind_int(sqlite3_stmt* s, int index, std::int64_t value) noexcept {
  return sqlite3_bind_int64(s, index, value);
}

std::string_view column_text(sqlite3_stmt* s, int column) noexcept {
  const auto* p = sqlite3_column_text(s, column);
  const int n = sqlite3_column_bytes(s, column);
  if (p == nullptr || n <= 0) {
    return {};
  }
  return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
}

std::string_view column_blob(sqlite3_stmt* s, int column) noexcept {
  const void* p = sqlite3_column_blob(s, column);
  const int n = sqlite3_column_bytes(s, column);
  if (p == nullptr || n <= 0) {
    return {};
  }
  return {static_cast<const char*>(p), static_cast<std::size_t>(n)};
}

}  // namespace hisbridge::store::sqlite
