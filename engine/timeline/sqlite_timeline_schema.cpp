#include "engine/timeline/sqlite_timeline_schema.hpp"

#include <spdlog/spdlog.h>

#include <functional>
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

// The journal's defaults: the same page size for a file made here first, the same wait for
// the other connection's lock.
Result<void> configure(sqlite3* db, const char* synchronous) {
  const store::SqliteOptions journal;
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, journal.busy_timeout_ms);
  // As the journal sets a new file up (page size and auto_vacuum before the first table), so
  // a journal file this connection happens to create first is the same as one the store made.
  const std::string pragmas = "PRAGMA page_size=" + std::to_string(journal.page_size) +
                              ";PRAGMA auto_vacuum=INCREMENTAL;PRAGMA journal_mode=WAL"
                              ";PRAGMA synchronous=" + synchronous +
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

constexpr const char* kHasSchema =
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'timeline_schema'";

// What an older release kept in the journal's file, copied into a new timeline file.
constexpr const char* kCopyFromJournal = R"sql(
INSERT INTO main.timeline_subjects SELECT * FROM journal.timeline_subjects;
INSERT INTO main.timeline_marks SELECT * FROM journal.timeline_marks;
INSERT INTO main.timeline_intervals SELECT * FROM journal.timeline_intervals;
)sql";

constexpr const char* kDropFromJournal = R"sql(
DROP TABLE timeline_intervals;
DROP TABLE timeline_marks;
DROP TABLE timeline_subjects;
DROP TABLE timeline_schema;
)sql";

Result<void> create_tables(sqlite3* db, bool copy_from_journal) {
  auto found = query_int(db, kHasSchema);
  if (!found) {
    return found.error();
  }
  if (*found == 0) {
    if (auto created = sqlite::exec(db, kCreateV1); !created) {
      return created;
    }
    return copy_from_journal ? sqlite::exec(db, kCopyFromJournal) : Result<void>();
  }
  auto version = query_int(db, "SELECT version FROM timeline_schema");
  if (!version) {
    return version.error();
  }
  if (*version == kVersion) {
    return {};
  }
  // Later versions add their migration steps here.
  spdlog::error("timeline: schema version {} is not one this build knows (it knows {})",
                *version, kVersion);
  return store::StoreError::corrupt;
}

Result<void> in_transaction(sqlite3* db, const std::function<Result<void>()>& work) {
  if (auto begun = sqlite::exec(db, "BEGIN IMMEDIATE"); !begun) {
    return begun;
  }
  if (auto done = work(); !done) {
    sqlite::exec(db, "ROLLBACK");
    return done;
  }
  return sqlite::exec(db, "COMMIT");
}

// The journal's file as schema `journal` of the timeline's connection, for the copy.
Result<void> attach_journal(sqlite3* timeline, const std::filesystem::path& journal_file) {
  auto attach = sqlite::prepare(timeline, "ATTACH DATABASE ?1 AS journal");
  if (!attach) {
    return attach.error();
  }
  const std::string name = journal_file.string();  // bound without a copy: must outlive the run
  sqlite::bind_text(attach->get(), 1, name);
  return sqlite::run(timeline, attach->get(), "attach the journal");
}

}  // namespace

std::filesystem::path timeline_file(const std::filesystem::path& journal) {
  std::filesystem::path out = journal;
  out.replace_filename(journal.stem().string() + ".timeline" + journal.extension().string());
  return out;
}

Result<void> prepare_journal(sqlite3* journal) {
  // synchronous=NORMAL: an inbox row that a power cut takes away is written again, because
  // the router hands a batch's marks over before it writes the batch's statuses to the same WAL.
  if (auto done = configure(journal, "NORMAL"); !done) {
    return done;
  }
  if (auto done = sqlite::ensure_schema(journal); !done) {
    return done;
  }
  // AUTOINCREMENT: an id is never given twice, so a drain that deletes the rows it read by id
  // cannot delete a newer row that took the id of one another drain removed meanwhile.
  return sqlite::exec(journal,
                      "CREATE TABLE IF NOT EXISTS timeline_inbox("
                      "id INTEGER PRIMARY KEY AUTOINCREMENT, marks BLOB NOT NULL)");
}

Result<void> prepare_timeline(sqlite3* timeline, sqlite3* journal,
                              const std::filesystem::path& journal_file) {
  if (auto done = configure(timeline, "FULL"); !done) {
    return done;
  }
  auto old = query_int(journal, kHasSchema);
  if (!old) {
    return old.error();
  }
  const bool in_journal = *old > 0;
  if (in_journal) {
    if (auto attached = attach_journal(timeline, journal_file); !attached) {
      return attached;
    }
  }
  auto created = in_transaction(timeline, [&] { return create_tables(timeline, in_journal); });
  if (in_journal) {
    (void)sqlite::exec(timeline, "DETACH DATABASE journal");
  }
  if (!created || !in_journal) {
    return created;
  }
  spdlog::info("timeline: moved the turnaround tables out of the journal's file");
  return in_transaction(journal, [&] { return sqlite::exec(journal, kDropFromJournal); });
}

}  // namespace hisbridge::timeline::sqlite_schema
