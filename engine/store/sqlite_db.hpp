#pragma once

// Thin RAII and error helpers over the SQLite C API, shared by SqliteStore and its schema code.
// Nothing here throws; failures come back as StoreError with the driver's text logged.
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "engine/core/result.hpp"
#include "engine/store/error.hpp"

namespace hisbridge::store::sqlite {

struct CloseDb {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;

struct FinalizeStatement {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

// The StoreError for an SQLite result code (primary or extended).
StoreError error_for(int rc) noexcept;

// Logs "sqlite <what>: <driver message>" and returns the matching error code.
boost::system::error_code fail(sqlite3* db, int rc, std::string_view what);

// A statement kept for the life of the connection (SQLITE_PREPARE_PERSISTENT).
Result<Statement> prepare(sqlite3* db, std::string_view sql);

// Runs one or more statements that return no rows (schema, pragmas).
Result<void> exec(sqlite3* db, const char* sql);

// Steps a statement that returns no rows and resets it.
Result<void> run(sqlite3* db, sqlite3_stmt* statement, std::string_view what);

// Resets the statement when the scope ends, so a kept statement never holds a read
// transaction open. Bindings stay (clearing them costs time on the hot path): every caller
// binds each parameter anew before it steps.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* s) noexcept : s_(s) {}
  ~ResetOnExit() { sqlite3_reset(s_); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* s_;
};

// Binding without a copy (SQLITE_STATIC): the bytes must stay put until the statement is reset.
int bind_text(sqlite3_stmt* s, int index, std::string_view text) noexcept;
int bind_blob(sqlite3_stmt* s, int index, std::string_view bytes) noexcept;
int bind_int(sqlite3_stmt* s, int index, std::int64_t value) noexcept;

// Opens `file` read-write, creating it and its folder when missing; `who` names the caller in
// the log ("store", "timeline"). A folder that cannot be made is StoreError::unavailable.
Result<Db> open_file(const std::filesystem::path& file, std::string_view who);

// A column's bytes, valid until the next step or reset.
std::string_view column_text(sqlite3_stmt* s, int column) noexcept;
std::string_view column_blob(sqlite3_stmt* s, int column) noexcept;

}  // namespace hisbridge::store::sqlite
