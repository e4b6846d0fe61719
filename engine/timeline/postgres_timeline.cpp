#include "engine/timeline/postgres_timeline.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <unordered_map>

#include "engine/timeline/postgres_timeline_schema.hpp"

namespace hisbridge::timeline {
namespace pg = store::pg;
using pg::PgResult;

namespace {

constexpr Oid kTextArray = 1009;
constexpr Oid kInt8Array = 1016;

// Rows go in in key order, so that sessions writing the same subjects lock them in the same
// order and cannot deadlock. Later non-empty info wins, as in SQLite.
constexpr const char* kMergeSubjects =
    "INSERT INTO timeline_subjects AS t(scope, subject, discipline, visit_id, patient_id,"
    " department, priority, service_code, modality) SELECT * FROM unnest($1::text[],"
    " $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],"
    " $9::text[]) ORDER BY 1, 2 ON CONFLICT (scope, subject) DO UPDATE SET"
    " discipline = CASE WHEN EXCLUDED.discipline <> '' THEN EXCLUDED.discipline"
    " ELSE t.discipline END,"
    " visit_id = CASE WHEN EXCLUDED.visit_id <> '' THEN EXCLUDED.visit_id ELSE t.visit_id END,"
    " patient_id = CASE WHEN EXCLUDED.patient_id <> '' THEN EXCLUDED.patient_id"
    " ELSE t.patient_id END,"
    " department = CASE WHEN EXCLUDED.department <> '' THEN EXCLUDED.department"
    " ELSE t.department END,"
    " priority = CASE WHEN EXCLUDED.priority <> '' THEN EXCLUDED.priority ELSE t.priority END,"
    " service_code = CASE WHEN EXCLUDED.service_code <> '' THEN EXCLUDED.service_code"
    " ELSE t.service_code END,"
    " modality = CASE WHEN EXCLUDED.modality <> '' THEN EXCLUDED.modality ELSE t.modality END"
    " RETURNING scope, subject, discipline, visit_id, patient_id, department, priority,"
    " service_code, modality";

constexpr const char* kMergeMarks =
    "INSERT INTO timeline_marks AS t(scope, subject, kind, at_us) SELECT * FROM"
    " unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) ORDER BY 1, 2, 3"
    " ON CONFLICT (scope, subject, kind) DO UPDATE SET at_us = EXCLUDED.at_us"
    " WHERE EXCLUDED.at_us < t.at_us";

constexpr const char* kReadMarks =
    "SELECT k.ord, m.kind, m.at_us FROM unnest($1::text[], $2::text[]) WITH ORDINALITY"
    " AS k(scope, subject, ord) JOIN timeline_marks AS m"
    " ON m.scope = k.scope AND m.subject = k.subject";

constexpr const char* kReadIntervals =
    "SELECT k.ord, t.from_us, t.to_us, t.discipline, t.priority, t.department, t.service_code,"
    " t.modality FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(name, subject, ord)"
    " JOIN timeline_intervals AS t ON t.interval_name = k.name AND t.subject = k.subject";

constexpr const char* kWriteIntervals =
    "INSERT INTO timeline_intervals AS t(interval_name, subject, from_us, to_us, duration_us,"
    " invalid, discipline, priority, department, service_code, modality)"
    " SELECT n, s, f, e, e - f, e < f, d, p, dep, sc, mo FROM unnest($1::text[], $2::text[],"
    " $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])"
    " AS u(n, s, f, e, d, p, dep, sc, mo) ORDER BY 1, 2"
    " ON CONFLICT (interval_name, subject) DO UPDATE SET from_us = EXCLUDED.from_us,"
    " to_us = EXCLUDED.to_us, duration_us = EXCLUDED.duration_us, invalid = EXCLUDED.invalid,"
    " discipline = EXCLUDED.discipline, priority = EXCLUDED.priority,"
    " department = EXCLUDED.department, service_code = EXCLUDED.service_code,"
    " modality = EXCLUDED.modality";

struct Prepared {
  const char* name;
  const char* sql;
  std::vector<Oid> types;
};

std::vector<Prepared> statements() {
  const Oid t = kTextArray;
  const Oid n = kInt8Array;
  return {{"tl_merge_subjects", kMergeSubjects, {t, t, t, t, t, t, t, t, t}},
          {"tl_merge_marks", kMergeMarks, {t, t, t, n}},
          {"tl_read_marks", kReadMarks, {t, t}},
          {"tl_read_intervals", kReadIntervals, {t, t}},
          {"tl_write_intervals", kWriteIntervals, {t, t, n, n, t, t, t, t, t}},
          {"tl_insert_inbox", "INSERT INTO timeline_inbox(marks) VALUES($1)", {pg::kBytea}},
          // SKIP LOCKED: another engine node's drain takes the next rows meanwhile.
          {"tl_read_inbox",
           "SELECT id, marks FROM timeline_inbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
           {pg::kInt8}},
          {"tl_delete_inbox", "DELETE FROM timeline_inbox WHERE id = ANY($1::bigint[])", {n}}};
}

void log_notice(void*, const char* message) {
  std::string_view text = message != nullptr ? message : "";
  while (!text.empty() && text.back() == '\n') {
    text.remove_suffix(1);
  }
  spdlog::debug("timeline: postgresql says: {}", text);
}

// Seven text cells from `first` on: discipline, visit_id, patient_id, department, priority,
// service_code, modality.
void read_info(const PGresult* r, int row, int first, SubjectInfo& i) {
  i.discipline = pg::cell(r, row, first);
  i.visit_id = pg::cell(r, row, first + 1);
  i.patient_id = pg::cell(r, row, first + 2);
  i.department = pg::cell(r, row, first + 3);
  i.priority = pg::cell(r, row, first + 4);
  i.service_code = pg::cell(r, row, first + 5);
  i.modality = pg::cell(r, row, first + 6);
}

std::vector<PgArray> text_arrays(std::size_t n) {
  return std::vector<PgArray>(n, PgArray(pg::kText));
}

}  // namespace

Result<std::unique_ptr<PostgresTimeline>> PostgresTimeline::open(
    std::string_view conninfo, std::vector<IntervalDefinition> definitions) {
  std::string info(conninfo);
  char* message = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(info.c_str(), &message);
  if (parsed == nullptr) {
    spdlog::error("timeline: postgresql connection string: {}", message ? message : "invalid");
    PQfreemem(message);
    return store::StoreError::bad_config;
  }
  PQconninfoFree(parsed);
  std::unique_ptr<PostgresTimeline> timeline(
      new PostgresTimeline(std::move(info), std::move(definitions)));
  if (auto connected = timeline->connect(); !connected) {
    return connected.error();
  }
  if (auto done = postgres_schema::ensure(timeline->conn_.get()); !done) {
    return done.error();
  }
  if (auto prepared = timeline->prepare_statements(); !prepared) {
    return prepared.error();
  }
  return timeline;
}

PostgresTimeline::PostgresTimeline(std::string conninfo,
                                   std::vector<IntervalDefinition> definitions)
    : conninfo_(std::move(conninfo)), definitions_(std::move(definitions)) {}

Result<void> PostgresTimeline::connect() {
  conn_.reset();
  // Our defaults come first: the connection string (expanded from dbname) overrides them.
  const char* keys[] = {"connect_timeout", "keepalives", "keepalives_idle", "application_name",
                        "dbname", nullptr};
  const char* values[] = {"10", "1", "30", "hisbridge", conninfo_.c_str(), nullptr};
  pg::Connection conn(PQconnectdbParams(keys, values, 1));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    return pg::fail(conn.get(), nullptr, "connect");
  }
  PQsetNoticeProcessor(conn.get(), log_notice, nullptr);
  if (PQsetClientEncoding(conn.get(), "UTF8") != 0) {
    return pg::fail(conn.get(), nullptr, "set client encoding");
  }
  conn_ = std::move(conn);
  return {};
}

Result<void> PostgresTimeline::prepare_statements() {
  for (const Prepared& p : statements()) {
    const PgResult r(PQprepare(conn_.get(), p.name, p.sql, static_cast<int>(p.types.size()),
                               p.types.data()));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      return failed(r.get(), p.name);
    }
  }
  return {};
}

Result<PGconn*> PostgresTimeline::connection() {
  if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK) {
    const PGTransactionStatusType t = PQtransactionStatus(conn_.get());
    if (t == PQTRANS_IDLE) {
      return conn_.get();
    }
    if ((t == PQTRANS_INTRANS || t == PQTRANS_INERROR) &&
        pg::exec(conn_.get(), "ROLLBACK", PGRES_COMMAND_OK, "rollback")) {
      return conn_.get();
    }
  }
  if (auto connected = connect(); !connected) {
    return connected.error();
  }
  if (auto prepared = prepare_statements(); !prepared) {
    conn_.reset();
    return prepared.error();
  }
  return conn_.get();
}

boost::system::error_code PostgresTimeline::failed(const PGresult* result, std::string_view what) {
  const auto ec = pg::fail(conn_.get(), result, what);
  if (conn_ && PQstatus(conn_.get()) != CONNECTION_OK) {
    conn_.reset();
  }
  return ec;
}

Result<PgResult> PostgresTimeline::run(const char* name, std::span<const PgArray> arrays,
                                       ExecStatusType expected) {
  std::array<std::string_view, 16> values{};
  const std::size_t n = std::min(arrays.size(), values.size());
  for (std::size_t i = 0; i < n; ++i) {
    values[i] = std::string_view(arrays[i].data(), static_cast<std::size_t>(arrays[i].size()));
  }
  return run(name, std::span<const std::string_view>(values.data(), n), expected);
}

Result<PgResult> PostgresTimeline::run(const char* name, std::span<const std::string_view> binary,
                                       ExecStatusType expected) {
  if (!conn_) {
    return make_error_code(store::StoreError::unavailable);
  }
  std::array<const char*, 16> values{};
  std::array<int, 16> lengths{};
  std::array<int, 16> formats{};
  for (std::size_t i = 0; i < binary.size() && i < values.size(); ++i) {
    values[i] = binary[i].data();
    lengths[i] = static_cast<int>(binary[i].size());
    formats[i] = 1;
  }
  PgResult r(PQexecPrepared(conn_.get(), name, static_cast<int>(binary.size()), values.data(),
                            lengths.data(), formats.data(), 1));
  if (!r || PQresultStatus(r.get()) != expected) {
    return failed(r.get(), name);
  }
  return r;
}

Result<PgResult> PostgresTimeline::query(const BuiltSql& built, std::string_view what) {
  auto conn = connection();
  if (!conn) {
    return conn.error();
  }
  const std::size_t n = built.parameters.size();
  std::vector<std::string> text(n);
  std::vector<const char*> values(n);
  std::vector<Oid> types(n);
  for (std::size_t i = 0; i < n; ++i) {
    const SqlParameter& p = built.parameters[i];
    text[i] = p.is_number ? std::to_string(p.number) : p.text;
    values[i] = text[i].c_str();
    types[i] = p.is_number ? pg::kInt8 : pg::kText;
  }
  PgResult r(PQexecParams(*conn, built.sql.c_str(), static_cast<int>(n), types.data(),
                          values.data(), nullptr, nullptr, 1));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    return failed(r.get(), what);
  }
  return r;
}

Result<std::vector<RecordedInterval>> PostgresTimeline::record(std::span<const Mark> marks) {
  return record_marks(*this, definitions_, marks);
}

Result<void> PostgresTimeline::enqueue(std::span<const Mark> marks) {
  return enqueue_marks(*this, marks, encoded_);
}

Result<Drained> PostgresTimeline::drain(std::size_t max_rows, std::size_t max_marks) {
  return drain_inbox(*this, definitions_, max_rows, max_marks);
}

Result<void> PostgresTimeline::begin() {
  auto conn = connection();
  if (!conn) {
    return conn.error();
  }
  PgResult r(PQexec(*conn, "BEGIN"));
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    return failed(r.get(), "begin");
  }
  return {};
}

Result<void> PostgresTimeline::commit() {
  if (!conn_) {
    return make_error_code(store::StoreError::unavailable);
  }
  PgResult r(PQexec(conn_.get(), "COMMIT"));
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    return failed(r.get(), "commit");
  }
  if (std::string_view(PQcmdStatus(r.get())) != "COMMIT") {
    spdlog::error("timeline: postgresql commit answered {}", PQcmdStatus(r.get()));
    return make_error_code(store::StoreError::io);
  }
  return {};
}

void PostgresTimeline::rollback() {
  if (conn_ && PQtransactionStatus(conn_.get()) != PQTRANS_IDLE) {
    (void)pg::exec(conn_.get(), "ROLLBACK", PGRES_COMMAND_OK, "rollback");
  }
}

Result<void> PostgresTimeline::merge_subjects(std::vector<SubjectUpdate>& subjects) {
  if (subjects.empty()) {
    return {};
  }
  auto arrays = text_arrays(9);
  std::unordered_map<std::string, std::size_t> index;  // scope + subject -> position
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    const SubjectUpdate& u = subjects[i];
    const SubjectInfo& f = u.info;
    const std::string_view cells[] = {to_string(u.scope), u.subject,      f.discipline,
                                      f.visit_id,         f.patient_id,   f.department,
                                      f.priority,         f.service_code, f.modality};
    for (std::size_t c = 0; c < 9; ++c) {
      arrays[c].add(cells[c]);
    }
    index.emplace(std::string(to_string(u.scope)) + '\x1f' + u.subject, i);
  }
  auto r = run("tl_merge_subjects", arrays, PGRES_TUPLES_OK);
  if (!r) {
    return r.error();
  }
  for (int row = 0; row < PQntuples(r->get()); ++row) {
    const std::string key = std::string(pg::cell(r->get(), row, 0)) + '\x1f' +
                            std::string(pg::cell(r->get(), row, 1));
    if (auto it = index.find(key); it != index.end()) {
      read_info(r->get(), row, 2, subjects[it->second].info);
    }
  }
  return {};
}

Result<void> PostgresTimeline::merge_marks(std::span<const MarkUpdate> marks) {
  if (marks.empty()) {
    return {};
  }
  std::vector<PgArray> arrays = text_arrays(3);
  arrays.emplace_back(pg::kInt8);
  for (const MarkUpdate& m : marks) {
    arrays[0].add(to_string(m.scope));
    arrays[1].add(m.subject);
    arrays[2].add(m.kind);
    arrays[3].add(m.at_us);
  }
  auto r = run("tl_merge_marks", arrays, PGRES_COMMAND_OK);
  return r ? Result<void>() : Result<void>(r.error());
}

Result<void> PostgresTimeline::read_marks(std::span<const SubjectUpdate> subjects,
                                          std::vector<std::vector<KindTime>>& out) {
  out.assign(subjects.size(), {});
  if (subjects.empty()) {
    return {};
  }
  auto arrays = text_arrays(2);
  for (const SubjectUpdate& s : subjects) {
    arrays[0].add(to_string(s.scope));
    arrays[1].add(s.subject);
  }
  auto r = run("tl_read_marks", arrays, PGRES_TUPLES_OK);
  if (!r) {
    return r.error();
  }
  for (int row = 0; row < PQntuples(r->get()); ++row) {
    const auto at = static_cast<std::size_t>(pg::cell_int8(r->get(), row, 0) - 1);
    if (at < out.size()) {
      out[at].push_back({std::string(pg::cell(r->get(), row, 1)), pg::cell_int8(r->get(), row, 2)});
    }
  }
  return {};
}

Result<void> PostgresTimeline::read_intervals(std::span<const IntervalKey> keys,
                                              std::vector<std::optional<IntervalRecord>>& out) {
  out.assign(keys.size(), std::nullopt);
  if (keys.empty()) {
    return {};
  }
  auto arrays = text_arrays(2);
  for (const IntervalKey& k : keys) {
    arrays[0].add(k.interval);
    arrays[1].add(k.subject);
  }
  auto r = run("tl_read_intervals", arrays, PGRES_TUPLES_OK);
  if (!r) {
    return r.error();
  }
  const PGresult* rows = r->get();
  for (int row = 0; row < PQntuples(rows); ++row) {
    const auto at = static_cast<std::size_t>(pg::cell_int8(rows, row, 0) - 1);
    if (at >= out.size()) {
      continue;
    }
    IntervalRecord& rec = out[at].emplace();
    rec.interval = keys[at].interval;
    rec.subject = keys[at].subject;
    rec.from_us = pg::cell_int8(rows, row, 1);
    rec.to_us = pg::cell_int8(rows, row, 2);
    rec.info.discipline = pg::cell(rows, row, 3);
    rec.info.priority = pg::cell(rows, row, 4);
    rec.info.department = pg::cell(rows, row, 5);
    rec.info.service_code = pg::cell(rows, row, 6);
    rec.info.modality = pg::cell(rows, row, 7);
  }
  return {};
}

Result<void> PostgresTimeline::write_intervals(std::span<const IntervalRecord> rows) {
  if (rows.empty()) {
    return {};
  }
  std::vector<PgArray> arrays = text_arrays(2);
  arrays.emplace_back(pg::kInt8);
  arrays.emplace_back(pg::kInt8);
  for (int i = 0; i < 5; ++i) {
    arrays.emplace_back(pg::kText);
  }
  for (const IntervalRecord& rec : rows) {
    arrays[0].add(rec.interval);
    arrays[1].add(rec.subject);
    arrays[2].add(rec.from_us);
    arrays[3].add(rec.to_us);
    arrays[4].add(rec.info.discipline);
    arrays[5].add(rec.info.priority);
    arrays[6].add(rec.info.department);
    arrays[7].add(rec.info.service_code);
    arrays[8].add(rec.info.modality);
  }
  auto r = run("tl_write_intervals", arrays, PGRES_COMMAND_OK);
  return r ? Result<void>() : Result<void>(r.error());
}

Result<void> PostgresTimeline::insert_inbox(std::string_view marks) {
  // Outside begin(): its own transaction, on a connection made again when it was lost.
  if (auto conn = connection(); !conn) {
    return conn.error();
  }
  const std::string_view values[] = {marks};
  auto r = run("tl_insert_inbox", values, PGRES_COMMAND_OK);
  return r ? Result<void>() : Result<void>(r.error());
}

Result<void> PostgresTimeline::read_inbox(std::size_t limit, std::vector<InboxRow>& out) {
  char count[8];
  pg::put_int8(count, static_cast<std::int64_t>(limit));
  const std::string_view values[] = {std::string_view(count, 8)};
  auto r = run("tl_read_inbox", values, PGRES_TUPLES_OK);
  if (!r) {
    return r.error();
  }
  for (int row = 0; row < PQntuples(r->get()); ++row) {
    out.push_back({pg::cell_int8(r->get(), row, 0), std::string(pg::cell(r->get(), row, 1))});
  }
  return {};
}

Result<void> PostgresTimeline::delete_inbox(std::span<const std::int64_t> ids) {
  if (ids.empty()) {
    return {};
  }
  PgArray array(pg::kInt8);
  for (const std::int64_t id : ids) {
    array.add(id);
  }
  auto r = run("tl_delete_inbox", std::span<const PgArray>(&array, 1), PGRES_COMMAND_OK);
  return r ? Result<void>() : Result<void>(r.error());
}

Result<std::vector<IntervalRow>> PostgresTimeline::intervals(const IntervalQuery& q) {
  auto r = query(interval_query_sql('$', q), "read intervals");
  if (!r) {
    return r.error();
  }
  const PGresult* rows = r->get();
  std::vector<IntervalRow> out(static_cast<std::size_t>(PQntuples(rows)));
  for (int row = 0; row < PQntuples(rows); ++row) {
    IntervalRow& i = out[static_cast<std::size_t>(row)];
    i.duration_us = pg::cell_int8(rows, row, kDuration);
    i.invalid = pg::cell(rows, row, kInvalid) == std::string_view("\1", 1);
    i.priority = pg::cell(rows, row, kPriority);
    i.department = pg::cell(rows, row, kDepartment);
    i.service_code = pg::cell(rows, row, kServiceCode);
    i.modality = pg::cell(rows, row, kModality);
  }
  return out;
}

Result<void> PostgresTimeline::overdue_of(const IntervalDefinition& d, const OverdueQuery& q,
                                          std::vector<OverdueItem>& out) {
  auto r = query(overdue_sql('$', d, q), "read overdue");
  if (!r) {
    return r.error();
  }
  const PGresult* rows = r->get();
  for (int row = 0; row < PQntuples(rows); ++row) {
    OverdueItem& item = out.emplace_back();
    item.interval = d.name;
    item.scope = d.scope;
    item.subject = pg::cell(rows, row, kSubject);
    item.from_us = pg::cell_int8(rows, row, kFromUs);
    item.age_us = q.now_us - item.from_us;
    item.target_us = pg::cell_int8(rows, row, kTargetUs);
    read_info(rows, row, kDiscipline, item.info);
  }
  return {};
}

Result<std::vector<OverdueItem>> PostgresTimeline::overdue(const OverdueQuery& q) {
  std::vector<OverdueItem> out;
  for (const IntervalDefinition& d : definitions_) {
    if (!has_clock(d)) {
      continue;
    }
    if (auto done = overdue_of(d, q, out); !done) {
      return done.error();
    }
  }
  sort_overdue(out, q.limit);
  return out;
}

}  // namespace hisbridge::timeline
