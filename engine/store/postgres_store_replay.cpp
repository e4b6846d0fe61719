// Replay in PostgresStore (replay.hpp), the same rules as SQLite's (replay_sql.hpp): each call
// is one statement, so one transaction, committed with synchronous_commit on.
#include <string>

#include "engine/core/clock.hpp"
#include "engine/store/pg_binary_array.hpp"
#include "engine/store/postgres_store.hpp"
#include "engine/store/query_sql.hpp"
#include "engine/store/replay_sql.hpp"
#include "engine/store/text.hpp"

namespace hisbridge::store {
using pg::BinaryArray;
using pg::PgResult;

namespace {

constexpr Oid kInt8Array = 1016;

// The messages of CTE `picked` (column id) that are processed or error, set back to
// `received` with the counts moved, `$<now>` their new updated_at. The rows are locked in id
// order before their status is read again (a session that changed one meanwhile is seen), as
// set_statuses() does, so the counters stay right and sessions cannot deadlock on each other.
std::string move_back_sql(const std::string& picked, int now) {
  const std::string n = "$" + std::to_string(now);
  return "WITH picked AS MATERIALIZED (" + picked +
         "),"
         " old AS (SELECT m.id, m.status FROM hisbridge_messages AS m JOIN picked AS p"
         " ON m.id = p.id WHERE m.status IN ('processed', 'error') ORDER BY m.id FOR UPDATE OF m),"
         " upd AS (UPDATE hisbridge_messages AS m SET status = 'received', error = '',"
         " updated_at_us = " +
         n +
         " FROM old AS o WHERE m.id = o.id"
         " RETURNING o.status AS old_status),"
         " moves AS (SELECT status, sum(delta) AS n FROM (SELECT old_status AS status, -1 AS delta"
         " FROM upd UNION ALL SELECT 'received', 1 FROM upd) AS d GROUP BY status),"
         " counted AS (UPDATE hisbridge_counts AS c SET messages = c.messages + moves.n"
         " FROM moves WHERE c.status = moves.status AND moves.n <> 0) ";
}

// Parameters: 1 ids (int8[]), 2 now. Returns how many changed.
std::string reprocess_sql() {
  return move_back_sql("SELECT DISTINCT unnest($1::bigint[]) AS id", 2) +
         "SELECT count(*) FROM upd";
}

// Parameters: range_step_sql's five, 6 now. Returns how many changed and the last message
// looked at (id, received_at_us; 0 when none).
std::string reprocess_range_sql() {
  return move_back_sql(range_step_sql('$'), 6) +
         "SELECT (SELECT count(*) FROM upd), COALESCE(l.id, 0), COALESCE(l.received_at_us, 0)"
         " FROM (SELECT 1) AS one LEFT JOIN (SELECT id, received_at_us FROM picked"
         " ORDER BY received_at_us DESC, id DESC LIMIT 1) AS l ON true";
}

// Parameters: dead_step_sql's three, 4 now. An entry is made pending only when its message has
// no pending entry in the queue, and only the first of a message's dead entries in the step.
std::string requeue_dead_sql() {
  return "WITH picked AS MATERIALIZED (" + dead_step_sql('$') +
         " FOR UPDATE),"
         " chosen AS (SELECT DISTINCT ON (p.message_id) p.id FROM picked AS p"
         " WHERE NOT EXISTS (SELECT 1 FROM hisbridge_deliveries AS q WHERE q.queue = $1"
         " AND q.message_id = p.message_id AND q.state = 'pending')"
         " ORDER BY p.message_id, p.id),"
         " upd AS (UPDATE hisbridge_deliveries AS d SET state = 'pending', attempts = 0,"
         " next_attempt_us = 0, updated_at_us = $4 FROM chosen AS c"
         " WHERE d.id = c.id AND d.state = 'dead' RETURNING d.id)"
         " SELECT (SELECT count(*) FROM upd), COALESCE((SELECT max(id) FROM picked), 0)";
}

struct ReplayStatement {
  const char* name;
  std::string sql;
  int n_params;
  const Oid* types;
};

std::string_view int8(char (&buffer)[8], std::int64_t value) {
  pg::put_int8(buffer, value);
  return {buffer, 8};
}

}  // namespace

Result<void> PostgresStore::prepare_replay_statements() {
  static constexpr Oid ids_types[] = {kInt8Array, pg::kInt8};
  static constexpr Oid range_types[] = {pg::kText, pg::kInt8, pg::kInt8,
                                        pg::kInt8, pg::kInt8, pg::kInt8};
  static constexpr Oid dead_types[] = {pg::kText, pg::kInt8, pg::kInt8, pg::kInt8};
  static constexpr Oid audit_types[] = {pg::kInt8, pg::kText, pg::kText, pg::kText};
  static constexpr Oid limit_types[] = {pg::kInt8};
  const ReplayStatement all[] = {
      {"hb_reprocess", reprocess_sql(), 2, ids_types},
      {"hb_reprocess_range", reprocess_range_sql(), 6, range_types},
      {"hb_count_reprocessable", count_reprocessable_sql('$'), 3, range_types},
      {"hb_requeue_dead", requeue_dead_sql(), 4, dead_types},
      {"hb_insert_audit",
       "INSERT INTO hisbridge_audit(at_us, actor, action, detail) VALUES($1, $2, $3, $4)"
       " RETURNING id",
       4, audit_types},
      {"hb_audit", audit_sql('$'), 1, limit_types},
  };
  for (const ReplayStatement& p : all) {
    const PgResult r(PQprepare(conn_.get(), p.name, p.sql.c_str(), p.n_params, p.types));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      return failed(r.get(), p.name);
    }
  }
  return {};
}

Result<PgResult> PostgresStore::query_prepared(const char* statement, int n_params,
                                               const char* const* values, const int* lengths,
                                               std::string_view what) {
  auto conn = connection();
  if (!conn) {
    return conn.error();
  }
  const std::vector<int> formats(static_cast<std::size_t>(n_params), 1);
  PgResult r(PQexecPrepared(*conn, statement, n_params, values, lengths, formats.data(), 1));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    return failed(r.get(), what);
  }
  return r;
}

Result<std::size_t> PostgresStore::reprocess(std::span<const std::int64_t> ids) {
  if (ids.empty()) {
    return std::size_t{0};
  }
  BinaryArray array(pg::kInt8);
  for (const std::int64_t id : ids) {
    char buffer[8];
    array.add(int8(buffer, id));
  }
  char now[8];
  int8(now, unix_now_us());
  const char* values[] = {array.data(), now};
  const int lengths[] = {array.size(), 8};
  auto r = query_prepared("hb_reprocess", 2, values, lengths, "reprocess");
  if (!r) {
    return r.error();
  }
  return static_cast<std::size_t>(pg::cell_int8(r->get(), 0, 0));
}

Result<ReplayBatch> PostgresStore::reprocess_range(const ReprocessRange& range,
                                                   std::int64_t after_id, std::size_t limit) {
  std::string scratch;
  const std::string_view source = clean_text(range.source, scratch);
  char from[8], to[8], after[8], max[8], now[8];
  int8(from, range.from_us);
  int8(to, range.to_us);
  int8(after, after_id);
  int8(max, sql_limit(limit));
  int8(now, unix_now_us());
  const char* values[] = {source.data(), from, to, after, max, now};
  const int lengths[] = {static_cast<int>(source.size()), 8, 8, 8, 8, 8};
  auto r = query_prepared("hb_reprocess_range", 6, values, lengths, "reprocess a range");
  if (!r) {
    return r.error();
  }
  return ReplayBatch{static_cast<std::size_t>(pg::cell_int8(r->get(), 0, 0)),
                     pg::cell_int8(r->get(), 0, 1), pg::cell_int8(r->get(), 0, 2)};
}

Result<std::size_t> PostgresStore::count_reprocessable(const ReprocessRange& range) {
  std::string scratch;
  const std::string_view source = clean_text(range.source, scratch);
  char from[8], to[8];
  int8(from, range.from_us);
  int8(to, range.to_us);
  const char* values[] = {source.data(), from, to};
  const int lengths[] = {static_cast<int>(source.size()), 8, 8};
  auto r = query_prepared("hb_count_reprocessable", 3, values, lengths, "count a replay range");
  if (!r) {
    return r.error();
  }
  return static_cast<std::size_t>(pg::cell_int8(r->get(), 0, 0));
}

Result<ReplayBatch> PostgresStore::requeue_dead(std::string_view queue, std::int64_t after_id,
                                                std::size_t limit) {
  char after[8], max[8], now[8];
  int8(after, after_id);
  int8(max, sql_limit(limit));
  int8(now, unix_now_us());
  const char* values[] = {queue.data(), after, max, now};
  const int lengths[] = {static_cast<int>(queue.size()), 8, 8, 8};
  auto r = query_prepared("hb_requeue_dead", 4, values, lengths, "requeue dead letters");
  if (!r) {
    return r.error();
  }
  return ReplayBatch{static_cast<std::size_t>(pg::cell_int8(r->get(), 0, 0)),
                     pg::cell_int8(r->get(), 0, 1), 0};
}

Result<void> PostgresStore::append_audit(const NewAuditEntry& entry) {
  std::string actor_scratch, action_scratch, detail_scratch;
  const std::string_view actor = clean_text(entry.actor, actor_scratch);
  const std::string_view action = clean_text(entry.action, action_scratch);
  const std::string_view detail = clean_text(entry.detail, detail_scratch);
  char now[8];
  int8(now, unix_now_us());
  const char* values[] = {now, actor.data(), action.data(), detail.data()};
  const int lengths[] = {8, static_cast<int>(actor.size()), static_cast<int>(action.size()),
                         static_cast<int>(detail.size())};
  auto r = query_prepared("hb_insert_audit", 4, values, lengths, "write the audit log");
  if (!r) {
    return r.error();
  }
  return {};
}

Result<std::vector<AuditEntry>> PostgresStore::audit(std::size_t limit) {
  char max[8];
  int8(max, sql_limit(limit));
  const char* values[] = {max};
  const int lengths[] = {8};
  auto r = query_prepared("hb_audit", 1, values, lengths, "read the audit log");
  if (!r) {
    return r.error();
  }
  std::vector<AuditEntry> out;
  for (int i = 0; i < PQntuples(r->get()); ++i) {
    out.push_back({pg::cell_int8(r->get(), i, 0), pg::cell_int8(r->get(), i, 1),
                   std::string(pg::cell(r->get(), i, 2)), std::string(pg::cell(r->get(), i, 3)),
                   std::string(pg::cell(r->get(), i, 4))});
  }
  return out;
}

}  // namespace hisbridge::store
