#include "engine/store/postgres_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <string>

#include "engine/store/pg_pipeline.hpp"
#include "engine/store/postgres_schema.hpp"
#include "engine/store/query_sql.hpp"
#include "engine/store/text.hpp"

namespace hisbridge::store {
using pg::PgResult;

namespace {

std::int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t saturating_sub(std::int64_t a, std::int64_t b) {
  if (b > 0 && a < std::numeric_limits<std::int64_t>::min() + b) {
    return std::numeric_limits<std::int64_t>::min();
  }
  return a - b;
}

void log_notice(void*, const char* message) {
  std::string_view text = message != nullptr ? message : "";
  while (!text.empty() && text.back() == '\n') {
    text.remove_suffix(1);
  }
  spdlog::debug("store: postgresql says: {}", text);
}

// The row and its original are found in one statement, so rows sent earlier in the same
// pipeline (the same transaction) count as originals too. $13 is false when the message takes
// no part in the duplicate check; $14 is the start of the window.
constexpr const char* kInsert =
    "INSERT INTO hisbridge_messages(received_at_us, updated_at_us, source, peer, control_id,"
    " sending_application, sending_facility, message_type, patient_id, status, error,"
    " duplicate_of, raw)"
    " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9,"
    " CASE WHEN o.id IS NULL THEN $10 ELSE 'duplicate' END, $11, COALESCE(o.id, 0), $12"
    " FROM (SELECT (SELECT m.id FROM hisbridge_messages m WHERE $13 AND m.control_id = $5"
    " AND m.sending_application = $6 AND m.sending_facility = $7"
    " AND m.received_at_us BETWEEN $14 AND $1"
    " AND m.status NOT IN ('rejected', 'duplicate') ORDER BY m.id LIMIT 1) AS id) AS o"
    " RETURNING id, duplicate_of";
constexpr Oid kInsertTypes[] = {pg::kInt8, pg::kInt8, pg::kText, pg::kText, pg::kText,
                                pg::kText, pg::kText, pg::kText, pg::kText, pg::kText,
                                pg::kText, pg::kBytea, pg::kBool, pg::kInt8};

// One statement per batch. Two engine nodes appending at once wait on these rows for each
// other's commit; a deadlock between them would come back as StoreError::busy.
constexpr const char* kAddCounts =
    "UPDATE hisbridge_counts AS c SET messages = c.messages + d.n"
    " FROM unnest($1::text[], $2::bigint[]) AS d(status, n) WHERE c.status = d.status";

// One statement: the row is locked (FOR UPDATE) before its old status is read, so two
// sessions changing the same message keep the counters right.
constexpr const char* kSetStatus =
    "WITH upd AS (UPDATE hisbridge_messages AS m SET status = $2, error = $3, updated_at_us = $4"
    " FROM (SELECT id, status FROM hisbridge_messages WHERE id = $1 FOR UPDATE) AS old"
    " WHERE m.id = old.id RETURNING old.status AS old_status),"
    " cnt AS (UPDATE hisbridge_counts AS c"
    " SET messages = c.messages + CASE WHEN c.status = $2 THEN 1 ELSE -1 END"
    " FROM upd WHERE c.status IN (upd.old_status, $2) AND upd.old_status <> $2)"
    " SELECT count(*) FROM upd";
constexpr Oid kSetStatusTypes[] = {pg::kInt8, pg::kText, pg::kText, pg::kInt8};

struct Prepared {
  const char* name;
  std::string sql;
  int n_params;
  const Oid* types;
};

std::string select_where(std::string_view where) {
  return "SELECT " + std::string(pg::kMessageColumns) + " FROM hisbridge_messages WHERE " +
         std::string(where);
}

}  // namespace

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(std::string_view conninfo,
                                                           const PostgresOptions& options) {
  std::string info(conninfo);
  char* message = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(info.c_str(), &message);
  if (parsed == nullptr) {
    spdlog::error("store: postgresql connection string: {}", message ? message : "invalid");
    PQfreemem(message);
    return StoreError::bad_config;
  }
  PQconninfoFree(parsed);
  std::unique_ptr<PostgresStore> store(new PostgresStore(std::move(info), options));
  if (auto connected = store->connect(); !connected) {
    return connected.error();
  }
  if (auto done = pg::ensure_schema(store->conn_.get()); !done) {
    return done.error();
  }
  if (auto prepared = store->prepare_statements(); !prepared) {
    return prepared.error();
  }
  return store;
}

PostgresStore::PostgresStore(std::string conninfo, const PostgresOptions& options)
    : conninfo_(std::move(conninfo)), options_(options) {}

Result<void> PostgresStore::connect() {
  conn_.reset();
  // Our defaults come first: the connection string (expanded from dbname) overrides them.
  const std::string timeout = std::to_string(options_.connect_timeout_s);
  const std::string user_timeout = std::to_string(options_.tcp_user_timeout_ms);
  const char* keys[] = {"connect_timeout",  "keepalives",       "keepalives_idle",
                        "tcp_user_timeout", "application_name", "dbname",
                        nullptr};
  const char* values[] = {timeout.c_str(), "1", "30", user_timeout.c_str(), "hisbridge",
                          conninfo_.c_str(), nullptr};
  pg::Connection conn(PQconnectdbParams(keys, values, 1));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    return pg::fail(conn.get(), nullptr, "connect");
  }
  PQsetNoticeProcessor(conn.get(), log_notice, nullptr);
  if (PQsetClientEncoding(conn.get(), "UTF8") != 0) {
    return pg::fail(conn.get(), nullptr, "set client encoding");
  }
  // The Store contract: a commit returns once it is durable.
  auto sync = pg::exec(conn.get(), "SELECT current_setting('synchronous_commit') = 'off'",
                       PGRES_TUPLES_OK, "read synchronous_commit");
  if (!sync) {
    return sync.error();
  }
  if (std::string_view(PQgetvalue(sync->get(), 0, 0)) == "t") {
    if (auto set = pg::exec(conn.get(), "SET synchronous_commit = on", PGRES_COMMAND_OK,
                            "set synchronous_commit");
        !set) {
      return set.error();
    }
  }
  conn_ = std::move(conn);
  return {};
}

Result<PGconn*> PostgresStore::connection() {
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

boost::system::error_code PostgresStore::failed(const PGresult* result, std::string_view what) {
  const auto ec = pg::fail(conn_.get(), result, what);
  if (conn_ && PQstatus(conn_.get()) != CONNECTION_OK) {
    conn_.reset();
  }
  return ec;
}

Result<void> PostgresStore::prepare_statements() {
  const Oid get_types[] = {pg::kInt8};
  const Oid pending_types[] = {pg::kText, pg::kInt8, pg::kInt8};
  const Prepared all[] = {
      {"hb_insert", kInsert, 14, kInsertTypes},
      {"hb_add_counts", kAddCounts, 2, nullptr},
      {"hb_set_status", kSetStatus, 4, kSetStatusTypes},
      {"hb_get", select_where("id = $1"), 1, get_types},
      {"hb_pending", select_where("source = $1 AND status = 'received' AND id > $2"
                                  " ORDER BY id LIMIT $3"),
       3, pending_types},
      {"hb_stats",
       "SELECT status, messages, pg_total_relation_size('hisbridge_messages')"
       " FROM hisbridge_counts",
       0, nullptr},
  };
  for (const Prepared& p : all) {
    const PgResult r(PQprepare(conn_.get(), p.name, p.sql.c_str(), p.n_params, p.types));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      return failed(r.get(), p.name);
    }
  }
  return {};
}

// Sends BEGIN, one insert per message and a sync point; nothing is read yet.
Result<void> PostgresStore::send_rows(PGconn* conn, std::span<const NewMessage> batch,
                                      std::int64_t window_us) {
  if (PQsendQueryParams(conn, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0) == 0) {
    return pg::fail(conn, nullptr, "send begin");
  }
  const std::int64_t now = now_us();
  char received[8];
  char updated[8];
  char window_start[8];
  pg::put_int8(updated, now);
  const char* values[14];
  int lengths[14];
  const int formats[14] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  for (const NewMessage& m : batch) {
    const std::string* text[kFields] = {&m.source,       &m.peer,         &m.control_id,
                                         &m.sending_application, &m.sending_facility,
                                         &m.message_type, &m.patient_id, &m.error};
    std::string_view f[kFields];
    for (std::size_t i = 0; i < kFields; ++i) {
      f[i] = clean_text(*text[i], scratch_[i]);
    }
    const bool check = m.status == MessageStatus::received && !f[kControlId].empty() &&
                       window_us > 0;
    const std::string_view status = to_string(m.status);
    pg::put_int8(received, m.received_at_us);
    pg::put_int8(window_start, saturating_sub(m.received_at_us, window_us));
    const std::string_view params[14] = {
        {received, 8}, {updated, 8}, f[kSource], f[kPeer], f[kControlId], f[kApplication],
        f[kFacility], f[kType], f[kPatient], status, f[kError], m.raw,
        check ? std::string_view("\1", 1) : std::string_view("\0", 1), {window_start, 8}};
    for (std::size_t i = 0; i < 14; ++i) {
      values[i] = params[i].data();
      lengths[i] = static_cast<int>(params[i].size());
    }
    if (PQsendQueryPrepared(conn, "hb_insert", 14, values, lengths, formats, 1) == 0) {
      return pg::fail(conn, nullptr, "send insert");
    }
  }
  if (PQpipelineSync(conn) == 0) {
    return pg::fail(conn, nullptr, "send sync");
  }
  return {};
}

Result<void> PostgresStore::read_rows_appended(PGconn* conn, std::span<const NewMessage> batch,
                                               std::vector<Appended>& out,
                                               std::array<std::int64_t, 5>& counts) {
  if (auto begun = pg::next_result(conn, PGRES_COMMAND_OK, "begin"); !begun) {
    pg::drain_to_sync(conn);
    return begun.error();
  }
  for (const NewMessage& m : batch) {
    auto r = pg::next_result(conn, PGRES_TUPLES_OK, "insert");
    if (!r || PQntuples(r->get()) != 1) {
      pg::drain_to_sync(conn);
      return r ? make_error_code(StoreError::io) : r.error();
    }
    const std::int64_t original = pg::cell_int8(r->get(), 0, 1);
    out.push_back(Appended{pg::cell_int8(r->get(), 0, 0), original != 0, original});
    const MessageStatus status = original != 0 ? MessageStatus::duplicate : m.status;
    ++counts[static_cast<std::size_t>(status)];
  }
  return pg::read_sync(conn);
}

// Sends the counter update and COMMIT, and reads both: success only when the server answers
// COMMIT with COMMIT.
Result<void> PostgresStore::commit_counts(PGconn* conn,
                                          const std::array<std::int64_t, 5>& counts) {
  std::string statuses = "{";
  std::string deltas = "{";
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] != 0) {
      statuses.append(statuses.size() > 1 ? "," : "")
          .append(to_string(static_cast<MessageStatus>(i)));
      deltas.append(deltas.size() > 1 ? "," : "").append(std::to_string(counts[i]));
    }
  }
  statuses += "}";
  deltas += "}";
  const char* values[2] = {statuses.c_str(), deltas.c_str()};
  if (PQsendQueryPrepared(conn, "hb_add_counts", 2, values, nullptr, nullptr, 0) == 0 ||
      PQsendQueryParams(conn, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) == 0 ||
      PQpipelineSync(conn) == 0) {
    return pg::fail(conn, nullptr, "send commit");
  }
  if (auto added = pg::next_result(conn, PGRES_COMMAND_OK, "count"); !added) {
    pg::drain_to_sync(conn);
    return added.error();
  }
  auto committed = pg::next_result(conn, PGRES_COMMAND_OK, "commit");
  if (!committed) {
    pg::drain_to_sync(conn);
    return committed.error();
  }
  if (std::string_view(PQcmdStatus(committed->get())) != "COMMIT") {
    spdlog::error("store: postgresql commit answered {}", PQcmdStatus(committed->get()));
    pg::drain_to_sync(conn);
    return StoreError::io;
  }
  return pg::read_sync(conn);
}

Result<std::vector<Appended>> PostgresStore::append_pipelined(PGconn* conn,
                                                              std::span<const NewMessage> batch,
                                                              std::int64_t window_us) {
  std::vector<Appended> out;
  out.reserve(batch.size());
  std::array<std::int64_t, 5> counts{};
  if (PQenterPipelineMode(conn) == 0) {
    return failed(nullptr, "enter pipeline mode");
  }
  if (auto sent = send_rows(conn, batch, window_us); !sent) {
    conn_.reset();  // queries in flight without a sync point: the session cannot be reused
    return sent.error();
  }
  Result<void> done = read_rows_appended(conn, batch, out, counts);
  if (done) {
    done = commit_counts(conn, counts);
  }
  if (PQexitPipelineMode(conn) == 0 || PQstatus(conn) != CONNECTION_OK) {
    conn_.reset();
    return done ? make_error_code(StoreError::unavailable) : done.error();
  }
  if (!done) {
    if (PQtransactionStatus(conn) != PQTRANS_IDLE) {
      (void)pg::exec(conn, "ROLLBACK", PGRES_COMMAND_OK, "rollback");
    }
    return done.error();
  }
  return out;
}

Result<std::vector<Appended>> PostgresStore::append(std::span<const NewMessage> batch,
                                                    std::int64_t duplicate_window_us) {
  if (batch.empty()) {
    return std::vector<Appended>{};
  }
  auto conn = connection();
  if (!conn) {
    return conn.error();
  }
  return append_pipelined(*conn, batch, duplicate_window_us);
}

Result<std::vector<StoredMessage>> PostgresStore::query_rows(const char* statement,
                                                             int n_params,
                                                             const char* const* values,
                                                             const int* lengths,
                                                             const int* formats,
                                                             std::string_view what) {
  auto conn = connection();
  if (!conn) {
    return conn.error();
  }
  const PgResult r(
      PQexecPrepared(*conn, statement, n_params, values, lengths, formats, 1));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    return failed(r.get(), what);
  }
  const int rows = PQntuples(r.get());
  std::vector<StoredMessage> out(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    pg::read_message(r.get(), i, out[static_cast<std::size_t>(i)]);
  }
  return out;
}

Result<StoredMessage> PostgresStore::get(std::int64_t id) {
  char key[8];
  pg::put_int8(key, id);
  const char* values[] = {key};
  const int lengths[] = {8};
  const int formats[] = {1};
  auto rows = query_rows("hb_get", 1, values, lengths, formats, "get");
  if (!rows) {
    return rows.error();
  }
  if (rows->empty()) {
    return StoreError::not_found;
  }
  return std::move(rows->front());
}

Result<std::vector<StoredMessage>> PostgresStore::pending(std::string_view source,
                                                          std::int64_t after_id,
                                                          std::size_t limit) {
  std::string scratch;
  const std::string_view s = clean_text(source, scratch);
  char after[8];
  char max[8];
  pg::put_int8(after, after_id);
  pg::put_int8(max, sql_limit(limit));
  const char* values[] = {s.data(), after, max};
  const int lengths[] = {static_cast<int>(s.size()), 8, 8};
  const int formats[] = {1, 1, 1};
  return query_rows("hb_pending", 3, values, lengths, formats, "pending");
}

Result<void> PostgresStore::set_status(std::int64_t id, MessageStatus status,
                                       std::string_view error) {
  auto conn = connection();
  if (!conn) {
    return conn.error();
  }
  std::string scratch;
  const std::string_view text = clean_text(error, scratch);
  const std::string_view name = to_string(status);
  char key[8];
  char now[8];
  pg::put_int8(key, id);
  pg::put_int8(now, now_us());
  const char* values[] = {key, name.data(), text.data(), now};
  const int lengths[] = {8, static_cast<int>(name.size()), static_cast<int>(text.size()), 8};
  const int formats[] = {1, 1, 1, 1};
  const PgResult r(PQexecPrepared(*conn, "hb_set_status", 4, values, lengths, formats, 1));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    return failed(r.get(), "set status");
  }
  if (pg::cell_int8(r.get(), 0, 0) == 0) {
    return StoreError::not_found;
  }
  return {};
}

Result<std::vector<StoredMessage>> PostgresStore::find(const MessageQuery& query) {
  const QuerySql q = find_sql(query, pg::kMessageColumns, '$');
  std::vector<std::string> text(q.params.size());
  std::vector<const char*> values(q.params.size());
  for (std::size_t i = 0; i < q.params.size(); ++i) {
    text[i] = q.params[i].is_text ? q.params[i].text : std::to_string(q.params[i].integer);
    values[i] = text[i].c_str();
  }
  auto conn = connection();
  if (!conn) {
    return conn.error();
  }
  const PgResult r(PQexecParams(*conn, q.sql.c_str(), static_cast<int>(values.size()), nullptr,
                                values.data(), nullptr, nullptr, 1));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    return failed(r.get(), "find");
  }
  const int rows = PQntuples(r.get());
  std::vector<StoredMessage> out(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    pg::read_message(r.get(), i, out[static_cast<std::size_t>(i)]);
  }
  return out;
}

Result<StoreStats> PostgresStore::stats() {
  auto conn = connection();
  if (!conn) {
    return conn.error();
  }
  const PgResult r(PQexecPrepared(*conn, "hb_stats", 0, nullptr, nullptr, nullptr, 1));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    return failed(r.get(), "stats");
  }
  StoreStats out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    const std::int64_t n = pg::cell_int8(r.get(), i, 1);
    switch (status_from_string(pg::cell(r.get(), i, 0)).value_or(MessageStatus::error)) {
      case MessageStatus::received: out.received = n; break;
      case MessageStatus::processed: out.processed = n; break;
      case MessageStatus::error: out.error = n; break;
      case MessageStatus::rejected: out.rejected = n; break;
      case MessageStatus::duplicate: out.duplicate = n; break;
    }
    out.messages += n;
    out.size_bytes = pg::cell_int8(r.get(), i, 2);
  }
  return out;
}

}  // namespace hisbridge::store
