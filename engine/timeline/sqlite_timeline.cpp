#include "engine/timeline/sqlite_timeline.hpp"

#include <algorithm>
#include <utility>

#include "engine/timeline/sqlite_timeline_schema.hpp"
#include "engine/timeline/timeline_sql.hpp"

namespace hisbridge::timeline {
namespace fs = std::filesystem;
namespace sqlite = store::sqlite;
using sqlite::bind_int;
using sqlite::bind_text;
using sqlite::column_text;
using sqlite::ResetOnExit;

namespace {

// The subject's info columns in the order bind_info() and read_info() take them. Later
// non-empty values win (a message that does not say keeps what is known).
constexpr const char* kMergeSubject =
    "INSERT INTO timeline_subjects(scope, subject, discipline, visit_id, patient_id, department,"
    " priority, service_code, modality) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    " ON CONFLICT(scope, subject) DO UPDATE SET"
    " discipline = iif(excluded.discipline <> '', excluded.discipline, discipline),"
    " visit_id = iif(excluded.visit_id <> '', excluded.visit_id, visit_id),"
    " patient_id = iif(excluded.patient_id <> '', excluded.patient_id, patient_id),"
    " department = iif(excluded.department <> '', excluded.department, department),"
    " priority = iif(excluded.priority <> '', excluded.priority, priority),"
    " service_code = iif(excluded.service_code <> '', excluded.service_code, service_code),"
    " modality = iif(excluded.modality <> '', excluded.modality, modality)"
    " RETURNING discipline, visit_id, patient_id, department, priority, service_code, modality";

constexpr const char* kMergeMark =
    "INSERT INTO timeline_marks(scope, subject, kind, at_us) VALUES(?1, ?2, ?3, ?4)"
    " ON CONFLICT(scope, subject, kind) DO UPDATE SET at_us = excluded.at_us"
    " WHERE excluded.at_us < at_us";

constexpr const char* kWriteInterval =
    "INSERT OR REPLACE INTO timeline_intervals(interval_name, subject, from_us, to_us,"
    " duration_us, invalid, discipline, priority, department, service_code, modality)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

int bind_info(sqlite3_stmt* s, int first, const SubjectInfo& i) {
  int rc = bind_text(s, first, i.discipline);
  rc |= bind_text(s, first + 1, i.visit_id);
  rc |= bind_text(s, first + 2, i.patient_id);
  rc |= bind_text(s, first + 3, i.department);
  rc |= bind_text(s, first + 4, i.priority);
  rc |= bind_text(s, first + 5, i.service_code);
  rc |= bind_text(s, first + 6, i.modality);
  return rc;
}

void read_info(sqlite3_stmt* s, int first, SubjectInfo& i) {
  i.discipline = column_text(s, first);
  i.visit_id = column_text(s, first + 1);
  i.patient_id = column_text(s, first + 2);
  i.department = column_text(s, first + 3);
  i.priority = column_text(s, first + 4);
  i.service_code = column_text(s, first + 5);
  i.modality = column_text(s, first + 6);
}

int bind_all(sqlite3_stmt* s, const std::vector<SqlParameter>& parameters) {
  int rc = SQLITE_OK;
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    const SqlParameter& p = parameters[i];
    rc |= p.is_number ? bind_int(s, index, p.number) : bind_text(s, index, p.text);
  }
  return rc;
}

}  // namespace

Result<std::unique_ptr<SqliteTimeline>> SqliteTimeline::open(
    const fs::path& journal_file, std::vector<IntervalDefinition> definitions) {
  auto journal = sqlite::open_file(journal_file, "timeline");
  if (!journal) {
    return journal.error();
  }
  if (auto done = sqlite_schema::prepare_journal(journal->get()); !done) {
    return done.error();
  }
  auto db = sqlite::open_file(sqlite_schema::timeline_file(journal_file), "timeline");
  if (!db) {
    return db.error();
  }
  if (auto done = sqlite_schema::prepare_timeline(db->get(), journal->get(), journal_file);
      !done) {
    return done.error();
  }
  std::unique_ptr<SqliteTimeline> timeline(
      new SqliteTimeline(std::move(*db), std::move(*journal), std::move(definitions)));
  if (auto done = timeline->prepare_statements(); !done) {
    return done.error();
  }
  return timeline;
}

SqliteTimeline::SqliteTimeline(sqlite::Db db, sqlite::Db journal,
                               std::vector<IntervalDefinition> definitions)
    : db_(std::move(db)), journal_(std::move(journal)), definitions_(std::move(definitions)) {}

Result<void> SqliteTimeline::prepare_statements() {
  const std::pair<sqlite::Statement*, std::string> all[] = {
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
      {&merge_subject_, kMergeSubject},
      {&merge_mark_, kMergeMark},
      {&read_marks_, "SELECT kind, at_us FROM timeline_marks WHERE scope = ?1 AND subject = ?2"},
      {&read_interval_,
       "SELECT from_us, to_us, discipline, priority, department, service_code, modality"
       " FROM timeline_intervals WHERE interval_name = ?1 AND subject = ?2"},
      {&write_interval_, kWriteInterval},
  };
  for (const auto& [statement, sql] : all) {
    auto prepared = sqlite::prepare(db_.get(), sql);
    if (!prepared) {
      return prepared.error();
    }
    *statement = std::move(*prepared);
  }
  const std::pair<sqlite::Statement*, std::string> inbox[] = {
      {&journal_begin_, "BEGIN IMMEDIATE"},
      {&journal_commit_, "COMMIT"},
      {&insert_inbox_, "INSERT INTO timeline_inbox(marks) VALUES(?1)"},
      {&read_inbox_, "SELECT id, marks FROM timeline_inbox ORDER BY id LIMIT ?1"},
      {&delete_inbox_, "DELETE FROM timeline_inbox WHERE id = ?1"},
  };
  for (const auto& [statement, sql] : inbox) {
    auto prepared = sqlite::prepare(journal_.get(), sql);
    if (!prepared) {
      return prepared.error();
    }
    *statement = std::move(*prepared);
  }
  return {};
}

Result<sqlite3_stmt*> SqliteTimeline::cached(const std::string& sql) {
  if (auto it = queries_.find(sql); it != queries_.end()) {
    return it->second.get();
  }
  auto prepared = sqlite::prepare(db_.get(), sql);
  if (!prepared) {
    return prepared.error();
  }
  sqlite3_stmt* s = prepared->get();
  queries_.emplace(sql, std::move(*prepared));
  return s;
}

Result<std::vector<RecordedInterval>> SqliteTimeline::record(std::span<const Mark> marks) {
  return record_marks(*this, definitions_, marks);
}

Result<void> SqliteTimeline::enqueue(std::span<const Mark> marks) {
  return enqueue_marks(*this, marks, encoded_);
}

Result<Drained> SqliteTimeline::drain(std::size_t max_rows, std::size_t max_marks) {
  return drain_inbox(*this, definitions_, max_rows, max_marks);
}

Result<void> SqliteTimeline::begin() {
  drained_.clear();
  return sqlite::run(db_.get(), begin_.get(), "begin");
}

// The timeline first (synchronous=FULL: on disk when COMMIT returns), then, in
// finish_drain(), the inbox rows it recorded: a crash or a failure in between records them
// again, which changes nothing.
Result<void> SqliteTimeline::commit() {
  return sqlite::run(db_.get(), commit_.get(), "commit");
}

Result<void> SqliteTimeline::finish_drain() {
  const std::vector<std::int64_t> ids = std::exchange(drained_, {});
  if (ids.empty()) {
    return {};
  }
  sqlite3* j = journal_.get();
  if (auto begun = sqlite::run(j, journal_begin_.get(), "begin inbox"); !begun) {
    return begun;
  }
  sqlite3_stmt* s = delete_inbox_.get();
  for (const std::int64_t id : ids) {
    bind_int(s, 1, id);
    if (auto done = sqlite::run(j, s, "delete inbox row"); !done) {
      (void)sqlite::exec(j, "ROLLBACK");
      return done;
    }
  }
  auto committed = sqlite::run(j, journal_commit_.get(), "commit inbox");
  if (!committed && sqlite3_get_autocommit(j) == 0) {
    (void)sqlite::exec(j, "ROLLBACK");
  }
  return committed;
}

void SqliteTimeline::rollback() {
  drained_.clear();
  if (sqlite3_get_autocommit(db_.get()) == 0) {
    (void)sqlite::run(db_.get(), rollback_.get(), "rollback");
  }
}

Result<void> SqliteTimeline::merge_subjects(std::vector<SubjectUpdate>& subjects) {
  sqlite3_stmt* s = merge_subject_.get();
  for (SubjectUpdate& u : subjects) {
    const ResetOnExit reset(s);
    bind_text(s, 1, to_string(u.scope));
    bind_text(s, 2, u.subject);
    bind_info(s, 3, u.info);
    const int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
      return sqlite::fail(db_.get(), rc, "merge subject");
    }
    read_info(s, 0, u.info);
  }
  return {};
}

Result<void> SqliteTimeline::merge_marks(std::span<const MarkUpdate> marks) {
  sqlite3_stmt* s = merge_mark_.get();
  for (const MarkUpdate& m : marks) {
    bind_text(s, 1, to_string(m.scope));
    bind_text(s, 2, m.subject);
    bind_text(s, 3, m.kind);
    bind_int(s, 4, m.at_us);
    if (auto done = sqlite::run(db_.get(), s, "merge mark"); !done) {
      return done;
    }
  }
  return {};
}

Result<void> SqliteTimeline::read_marks(std::span<const SubjectUpdate> subjects,
                                        std::vector<std::vector<KindTime>>& out) {
  sqlite3_stmt* s = read_marks_.get();
  out.assign(subjects.size(), {});
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    const ResetOnExit reset(s);
    bind_text(s, 1, to_string(subjects[i].scope));
    bind_text(s, 2, subjects[i].subject);
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      out[i].push_back({std::string(column_text(s, 0)), sqlite3_column_int64(s, 1)});
    }
    if (rc != SQLITE_DONE) {
      return sqlite::fail(db_.get(), rc, "read marks");
    }
  }
  return {};
}

Result<void> SqliteTimeline::read_intervals(std::span<const IntervalKey> keys,
                                            std::vector<std::optional<IntervalRecord>>& out) {
  sqlite3_stmt* s = read_interval_.get();
  out.assign(keys.size(), std::nullopt);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const ResetOnExit reset(s);
    bind_text(s, 1, keys[i].interval);
    bind_text(s, 2, keys[i].subject);
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      IntervalRecord& r = out[i].emplace();
      r.interval = keys[i].interval;
      r.subject = keys[i].subject;
      r.from_us = sqlite3_column_int64(s, 0);
      r.to_us = sqlite3_column_int64(s, 1);
      r.info.discipline = column_text(s, 2);
      r.info.priority = column_text(s, 3);
      r.info.department = column_text(s, 4);
      r.info.service_code = column_text(s, 5);
      r.info.modality = column_text(s, 6);
    } else if (rc != SQLITE_DONE) {
      return sqlite::fail(db_.get(), rc, "read interval");
    }
  }
  return {};
}

Result<void> SqliteTimeline::write_intervals(std::span<const IntervalRecord> rows) {
  sqlite3_stmt* s = write_interval_.get();
  for (const IntervalRecord& r : rows) {
    bind_text(s, 1, r.interval);
    bind_text(s, 2, r.subject);
    bind_int(s, 3, r.from_us);
    bind_int(s, 4, r.to_us);
    bind_int(s, 5, r.duration_us());
    bind_int(s, 6, r.invalid() ? 1 : 0);
    bind_text(s, 7, r.info.discipline);
    bind_text(s, 8, r.info.priority);
    bind_text(s, 9, r.info.department);
    bind_text(s, 10, r.info.service_code);
    bind_text(s, 11, r.info.modality);
    if (auto done = sqlite::run(db_.get(), s, "write interval"); !done) {
      return done;
    }
  }
  return {};
}

Result<void> SqliteTimeline::insert_inbox(std::string_view marks) {
  sqlite3_stmt* s = insert_inbox_.get();
  sqlite::bind_blob(s, 1, marks);
  return sqlite::run(journal_.get(), s, "enqueue marks");
}

Result<void> SqliteTimeline::read_inbox(std::size_t limit, std::vector<InboxRow>& out) {
  sqlite3_stmt* s = read_inbox_.get();
  const ResetOnExit reset(s);
  bind_int(s, 1, static_cast<std::int64_t>(limit));
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    InboxRow& row = out.emplace_back();
    row.id = sqlite3_column_int64(s, 0);
    row.marks = sqlite::column_blob(s, 1);
  }
  if (rc != SQLITE_DONE) {
    return sqlite::fail(journal_.get(), rc, "read inbox");
  }
  return {};
}

// Kept until commit(): the rows leave the journal only once what they hold is recorded.
Result<void> SqliteTimeline::delete_inbox(std::span<const std::int64_t> ids) {
  drained_.assign(ids.begin(), ids.end());
  return {};
}

Result<std::vector<IntervalRow>> SqliteTimeline::intervals(const IntervalQuery& query) {
  const BuiltSql built = interval_query_sql('?', query);
  auto statement = cached(built.sql);
  if (!statement) {
    return statement.error();
  }
  sqlite3_stmt* s = *statement;
  const ResetOnExit reset(s);
  bind_all(s, built.parameters);
  std::vector<IntervalRow> out;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    IntervalRow& r = out.emplace_back();
    r.duration_us = sqlite3_column_int64(s, kDuration);
    r.invalid = sqlite3_column_int(s, kInvalid) != 0;
    r.priority = column_text(s, kPriority);
    r.department = column_text(s, kDepartment);
    r.service_code = column_text(s, kServiceCode);
    r.modality = column_text(s, kModality);
  }
  if (rc != SQLITE_DONE) {
    return sqlite::fail(db_.get(), rc, "read intervals");
  }
  return out;
}

Result<void> SqliteTimeline::overdue_of(const IntervalDefinition& d, const OverdueQuery& query,
                                        std::vector<OverdueItem>& out) {
  const BuiltSql built = overdue_sql('?', d, query);
  auto statement = cached(built.sql);
  if (!statement) {
    return statement.error();
  }
  sqlite3_stmt* s = *statement;
  const ResetOnExit reset(s);
  bind_all(s, built.parameters);
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    OverdueItem& item = out.emplace_back();
    item.interval = d.name;
    item.scope = d.scope;
    item.subject = column_text(s, kSubject);
    item.from_us = sqlite3_column_int64(s, kFromUs);
    item.age_us = query.now_us - item.from_us;
    item.target_us = sqlite3_column_int64(s, kTargetUs);
    read_info(s, kDiscipline, item.info);
  }
  if (rc != SQLITE_DONE) {
    return sqlite::fail(db_.get(), rc, "read overdue");
  }
  return {};
}

Result<std::vector<OverdueItem>> SqliteTimeline::overdue(const OverdueQuery& query) {
  std::vector<OverdueItem> out;
  for (const IntervalDefinition& d : definitions_) {
    if (!has_clock(d)) {
      continue;
    }
    if (auto done = overdue_of(d, query, out); !done) {
      return done.error();
    }
  }
  sort_overdue(out, query.limit);
  return out;
}

}  // namespace hisbridge::timeline
