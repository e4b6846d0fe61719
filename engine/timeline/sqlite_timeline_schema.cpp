#include "engine/timeline/sqlite_timeline_schema.hpp"

#include <spdlog/spdlog.h>

#include <string>

#include "engine/store/sqlite_db.hpp"
#include "engine/store/sqlite_schema.hpp"
#include "engine/store/sqlite_store.hpp"

namespace hisbridge::timeline::sqlite_schema {
namespace {

namespace sqlite = store::sqlite;

// Marks and intervals keep their keys as their rows (WITHOUT ROWID): every lookup is by key,
// and a second copy of the key in a rowid table would double the bytes written.
// timeline_intervals_window holds every column a statistics query reads, so a window is one
// range scan of it and never touches the table.
constexpr const char* kCreateV1 = R"sql(
CREATE TABLE timeline_schema(version INTEGER NOT NULL);
CREATE TABLE timeline_subjects(
  scope TEXT NOT NULL,
  subject TEXT NOT NULL,
  discipline TEXT NOT NULL,
  visit_id TEXT NOT NULL,
  patient_id TEXT NOT NULL,
  department TEXT NOT NULL,
  priority TEXT NOT NULL,
  service_code TEXT NOT NULL,
  modality TEXT NOT NULL,
  PRIMARY KEY(scope, subject)
) WITHOUT ROWID;
CREATE TABLE timeline_marks(
  scope TEXT NOT NULL,
  subject TEXT NOT NULL,
  kind TEXT NOT NULL,
  at_us INTEGER NOT NULL,
  PRIMARY KEY(scope, subject, kind)
) WITHOUT ROWID;
CREATE INDEX timeline_marks_kind ON timeline_marks(scope, kind, at_us);
CREATE TABLE timeline_intervals(
  interval_name TEXT NOT NULL,
  subject TEXT NOT NULL,
  from_us INTEGER NOT NULL,
  to_us INTEGER NOT NULL,
  duration_us INTEGER NOT NULL,
  invalid INTEGER NOT NULL,
  discipline TEXT NOT NULL,
  priority TEXT NOT NULL,
  department TEXT NOT NULL,
  service_code TEXT NOT NULL,
  modality TEXT NOT NULL,
  PRIMARY KEY(interval_name, subject)
) WITHOUT ROWID;
CREATE INDEX timeline_intervals_window ON timeline_intervals(
  interval_name, to_us, duration_us, invalid, priority, department, service_code, modality);
INSERT INTO timeline_schema(version) VALUES(1);
)sql";

// Version 2: the inbox, where the router hands over each batch's marks (mark_codec.hpp) for
// the timeline worker to record.
constexpr const char* kMigrateV1ToV2 = R"sql(
CREATE TABLE timeline_inbox(id INTEGER PRIMARY KEY, marks BLOB NOT NULL);
UPDATE timeline_schema SET version = 2;
)sql";

Result<std::int64_t> query_int(sqlite3* db, const char* sql) {
  auto statement = sqlite::prepare(db, sql);
  if (!statement) {
    return statement.error();
  }
  const int rc = sqlite3_step(statement->get());
  if (rc == SQLITE_ROW) {
    return sqlite3_column_int64(statement->get(), 0);
  }
  if (rc == SQLITE_DONE) {
    return -1;
  }
  return sqlite::fail(db, rc, "read timeline schema");
}

Result<void> configure(sqlite3* db) {
  // The journal's defaults: the same page size for a file made here first, the same wait for
  // the other connection's lock.
  const store::SqliteOptions journal;
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, journal.busy_timeout_ms);
  // synchronous=NORMAL: a commit that a power cut takes away is made again, because the
  // router records a batch's marks before it writes the batch's statuses to the same WAL.
  const std::string pragmas = "PRAGMA page_size=" + std::to_string(journal.page_size) +
                              ";PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL"
                              ";PRAGMA temp_store=MEMORY;PRAGMA cache_size=-16384";
  if (auto done = sqlite::exec(db, pragmas.c_str()); !done) {
    return done;
  }
  auto mode = sqlite::prepare(db, "PRAGMA journal_mode");
  if (!mode) {
    return mode.error();
  }
  if (sqlite3_step(mode->get()) != SQLITE_ROW || sqlite::column_text(mode->get(), 0) != "wal") {
    spdlog::error("timeline: sqlite could not switch the journal to WAL mode");
    return store::StoreError::unavailable;
  }
  return {};
}

Result<void> create_tables(sqlite3* db) {
  auto found = query_int(
      db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'timeline_schema'");
  if (!found) {
    return found.error();
  }
  if (*found == 0) {
    if (auto created = sqlite::exec(db, kCreateV1); !created) {
      return created;
    }
  }
  auto version = query_int(db, "SELECT version FROM timeline_schema");
  if (!version) {
    return version.error();
  }
  if (*version == kVersion) {
    return {};
  }
  if (*version == 1) {
    return sqlite::exec(db, kMigrateV1ToV2);
  }
  spdlog::error("timeline: schema version {} is not one this build knows (it knows {})",
                *version, kVersion);
  return store::StoreError::corrupt;
}

}  // namespace

Result<void> prepare_database(sqlite3* db) {
  if (auto done = configure(db); !done) {
    return done;
  }
  if (auto done = sqlite::ensure_schema(db); !done) {
    return done;
  }
  if (auto begun = sqlite::exec(db, "BEGIN IMMEDIATE"); !begun) {
    return begun;
  }
  if (auto created = create_tables(db); !created) {
    sqlite::exec(db, "ROLLBACK");
    return created;
  }
  return sqlite::exec(db, "COMMIT");
}

}  // namespace hisbridge::timeline::sqlite_schema
