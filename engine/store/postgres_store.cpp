#include "engine/store/postgres_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <string>
#include <unordered_set>

#include "engine/store/pg_binary_array.hpp"
#include "engine/store/pg_pipeline.hpp"
#include "engine/store/pg_row_arrays.hpp"
#include "engine/store/postgres_schema.hpp"
#include "engine/store/query_sql.hpp"
#include "engine/core/clock.hpp"
#include "engine/store/duplicate_window.hpp"
#include "engine/store/text.hpp"

namespace hisbridge::store {
using pg::BinaryArray;
using pg::PgResult;

namespace {

void log_notice(void*, const char* message) {
  std::string_view text = message != nullptr ? message : "";
  while (!text.empty() && text.back() == '\n') {
    text.remove_suffix(1);
  }
  spdlog::debug("store: postgresql says: {}", text);
}

// A whole round of messages in one statement: the columns arrive as binary arrays
// (pg_row_arrays.hpp), each message's original (the first under its key with the same bytes;
// without one, the first under its key is returned as `reused`) is looked up among the rows
// already stored (earlier rounds of the same batch included: same transaction), ids are drawn
// from the sequence after sorting by position in the batch (PostgreSQL evaluates volatile output
// expressions after ORDER BY), so sorting the returned rows by id gives batch order, and the
// status counters move once per statement. `received_at_us + 0` keeps the lookup on the
// duplicate index: the generic plan is made at the first call, when the table is empty, and
// would otherwise scan the received_at index over the whole window for every row (50 ms a
// batch after a few thousand messages, until autovacuum's ANALYZE replans it).
constexpr const char* kInsertBatch =
    "WITH input AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::boolean[],"
    " $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],"
    " $11::text[], $12::text[], $13::bytea[]) WITH ORDINALITY AS t(received_at_us,"
    " window_start, check_duplicate, source, peer, control_id, sending_application,"
    " sending_facility, message_type, patient_id, status, error, raw, ord)),"
    " numbered AS (SELECT i.*, CASE WHEN o.same THEN o.id END AS original,"
    " CASE WHEN NOT o.same THEN o.id ELSE 0 END AS reused,"
    " nextval('hisbridge_messages_id_seq') AS id"
    " FROM input AS i LEFT JOIN LATERAL (SELECT m.id, m.raw = i.raw AS same"
    " FROM hisbridge_messages AS m"
    " WHERE i.check_duplicate AND m.control_id = i.control_id"
    " AND m.sending_application = i.sending_application"
    " AND m.sending_facility = i.sending_facility"
    " AND m.received_at_us + 0 BETWEEN i.window_start AND i.received_at_us"
    " AND m.status NOT IN ('rejected', 'duplicate') ORDER BY same DESC, m.id LIMIT 1) AS o"
    " ON true ORDER BY i.ord),"
    " ins AS (INSERT INTO hisbridge_messages(id, received_at_us, updated_at_us, source, peer,"
    " control_id, sending_application, sending_facility, message_type, patient_id, status,"
    " error, duplicate_of, raw) SELECT id, received_at_us, $14, source, peer, control_id,"
    " sending_application, sending_facility, message_type, patient_id,"
    " CASE WHEN original IS NULL THEN status ELSE 'duplicate' END, error,"
    " COALESCE(original, 0), raw FROM numbered RETURNING id, status, duplicate_of),"
    " counted AS (UPDATE hisbridge_counts AS c SET messages = c.messages + d.n"
    " FROM (SELECT status, count(*) AS n FROM ins GROUP BY status) AS d"
    " WHERE c.status = d.status)"
    " SELECT ins.id, ins.duplicate_of, n.reused FROM ins"
    " JOIN numbered AS n ON n.id = ins.id ORDER BY ins.id";
constexpr Oid kInt8Array = 1016;
constexpr Oid kBoolArray = 1000;
constexpr Oid kTextArray = 1009;
constexpr Oid kByteaArray = 1001;
constexpr Oid kInsertBatchTypes[] = {
    kInt8Array, kInt8Array, kBoolArray, kTextArray, kTextArray, kTextArray, kTextArray,
    kTextArray, kTextArray, kTextArray, kTextArray, kTextArray, kByteaArray, pg::kInt8};

// A round ends before the message that would repeat a key already in it (its original must be
// stored by an earlier statement to be seen) and once it holds this many bytes of messages
// (a parameter may not pass 1 GiB).
constexpr std::size_t kRoundRawBytes = 64 << 20;

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

// Many messages in one statement. The rows are locked in id order before their old status is
// read, so sessions changing the same messages keep the counters right and cannot deadlock on
// each other; an id given twice takes its last update. Returns how many rows changed and how
// many distinct ids were asked for: fewer rows means an unknown id.
constexpr const char* kSetStatuses =
    "WITH input AS (SELECT DISTINCT ON (id) id, status, error FROM unnest($1::bigint[],"
    " $2::text[], $3::text[]) WITH ORDINALITY AS u(id, status, error, ord)"
    " ORDER BY id, ord DESC),"
    " old AS (SELECT m.id, m.status FROM hisbridge_messages AS m JOIN input AS i ON m.id = i.id"
    " ORDER BY m.id FOR UPDATE OF m),"
    " upd AS (UPDATE hisbridge_messages AS m SET status = i.status, error = i.error,"
    " updated_at_us = $4 FROM input AS i JOIN old AS o ON o.id = i.id WHERE m.id = i.id"
    " RETURNING o.status AS old_status, i.status AS new_status),"
    " moves AS (SELECT status, sum(delta) AS n FROM (SELECT old_status AS status, -1 AS delta"
    " FROM upd UNION ALL SELECT new_status, 1 FROM upd) AS d GROUP BY status),"
    " counted AS (UPDATE hisbridge_counts AS c SET messages = c.messages + moves.n FROM moves"
    " WHERE c.status = moves.status AND moves.n <> 0)"
    " SELECT (SELECT count(*) FROM upd), (SELECT count(*) FROM input)";
constexpr Oid kSetStatusesTypes[] = {1016, 1009, 1009, pg::kInt8};  // int8[], text[], text[]

// Retention, one statement: the oldest final messages before the cutoff, walked along the
// received_at index. The chosen ids are materialized first (a LIMIT inside `id IN (...)` may
// be evaluated more than once) and locked (SKIP LOCKED: a row another session is changing
// waits for the next batch); the DELETE checks status and time again on the row version it
// deletes, so a message set back to `received` meanwhile is kept. The counts move by the
// statuses of the rows deleted. Ids come from a sequence, so deleting the newest row is
// harmless here (unlike SQLite's rowids).
// A message with a pending queue entry is kept; the entries of deleted messages go with them.
constexpr const char* kPrune =
    "WITH doomed AS MATERIALIZED (SELECT m.id FROM hisbridge_messages AS m"
    " WHERE m.received_at_us < $1 AND m.status IN ('processed', 'error', 'rejected', 'duplicate')"
    " AND NOT EXISTS (SELECT 1 FROM hisbridge_deliveries AS q WHERE q.message_id = m.id"
    " AND q.state = 'pending')"
    " ORDER BY m.received_at_us, m.id LIMIT $2 FOR UPDATE SKIP LOCKED),"
    " del AS (DELETE FROM hisbridge_messages AS m USING doomed AS d WHERE m.id = d.id"
    " AND m.received_at_us < $1"
    " AND m.status IN ('processed', 'error', 'rejected', 'duplicate') RETURNING m.id, m.status),"
    " del_deliveries AS (DELETE FROM hisbridge_deliveries AS q USING del"
    " WHERE q.message_id = del.id),"
    " counted AS (UPDATE hisbridge_counts AS c SET messages = c.messages - n.n"
    " FROM (SELECT status, count(*) AS n FROM del GROUP BY status) AS n"
    " WHERE c.status = n.status)"
    " SELECT count(*) FROM del";
constexpr Oid kPruneTypes[] = {pg::kInt8, pg::kInt8};

// Retention by size (Store::data_bytes): PostgreSQL keeps a deleted row's space in its files
// for reuse, so their size never falls; the live data is estimated instead. The newest
// thousand rows (the primary key walked backwards) give the mean stored row: a whole-row value
// has its TOASTed fields expanded and decompressed, so the raw column's expanded length is
// swapped for its stored one. Times the messages counted, scaled by the indexes' share of the
// table, plus the queue table as it is (small next to the messages, pruned with them).
constexpr const char* kDataBytes =
    "WITH recent AS (SELECT pg_column_size(m.*) - octet_length(m.raw) + pg_column_size(m.raw)"
    " AS b FROM hisbridge_messages AS m ORDER BY m.id DESC LIMIT 1000)"
    " SELECT (coalesce((SELECT avg(b) FROM recent), 0)"
    " * (SELECT coalesce(sum(messages), 0) FROM hisbridge_counts)"
    " * pg_total_relation_size('hisbridge_messages')"
    " / greatest(pg_table_size('hisbridge_messages'), 1)"
    " + pg_total_relation_size('hisbridge_deliveries'))::bigint";

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
  // The batch insert's plan does not depend on its parameters (arrays, one index lookup per
  // row). Left to choose, PostgreSQL keeps planning it anew on every call when small batches
  // make those custom plans look cheaper: that tripled the time of a one-message append.
  if (auto set = pg::exec(conn.get(), "SET plan_cache_mode = force_generic_plan",
                          PGRES_COMMAND_OK, "set plan_cache_mode");
      !set) {
    return set.error();
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
      {"hb_insert_batch", kInsertBatch, 14, kInsertBatchTypes},
      {"hb_set_status", kSetStatus, 4, kSetStatusTypes},
      {"hb_get", select_where("id = $1"), 1, get_types},
      {"hb_pending", select_where("source = $1 AND status = 'received' AND id > $2"
                                  " ORDER BY id LIMIT $3"),
       3, pending_types},
      {"hb_stats",
       "SELECT status, messages, pg_total_relation_size('hisbridge_messages')"
       " FROM hisbridge_counts",
       0, nullptr},
      {"hb_set_statuses", kSetStatuses, 4, kSetStatusesTypes},
      {"hb_prune", kPrune, 2, kPruneTypes},
      {"hb_data_bytes", kDataBytes, 0, nullptr},
  };
  if (auto queue = prepare_queue_statements(); !queue) {
    return queue;
  }
  if (auto replay = prepare_replay_statements(); !replay) {
    return replay;
  }
  for (const Prepared& p : all) {
    const PgResult r(PQprepare(conn_.get(), p.name, p.sql.c_str(), p.n_params, p.types));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      return failed(r.get(), p.name);
    }
  }
  return {};
}

// Splits the batch into rounds (usually one) of binary column arrays.
std::size_t PostgresStore::plan_rounds(std::span<const NewMessage> batch,
                                       std::int64_t window_us) {
  std::size_t used = 0;
  std::unordered_set<std::string> keys;
  for (const NewMessage& m : batch) {
    const std::string* text[kFields] = {&m.source,       &m.peer,         &m.control_id,
                                         &m.sending_application, &m.sending_facility,
                                         &m.message_type, &m.patient_id, &m.error};
    std::string_view f[kFields];
    for (std::size_t i = 0; i < kFields; ++i) {
      f[i] = clean_text(*text[i], scratch_[i]);
    }
    const bool check =
        m.status == MessageStatus::received && !f[kControlId].empty() && window_us > 0;
    std::string key;
    if (check) {
      key.append(f[kControlId]).append(1, '\x1f').append(f[kApplication]).append(1, '\x1f');
      key.append(f[kFacility]);
    }
    if (used == 0 || rounds_[used - 1].raw_bytes() >= kRoundRawBytes ||
        (check && keys.contains(key))) {
      if (rounds_.size() == used) {
        rounds_.emplace_back();
      }
      rounds_[used++].clear();
      keys.clear();
    }
    if (check) {
      keys.insert(std::move(key));
    }
    rounds_[used - 1].add(m,
                          {f[kSource], f[kPeer], f[kControlId], f[kApplication], f[kFacility],
                           f[kType], f[kPatient], f[kError]},
                          check, duplicate_window_start(m.received_at_us, window_us));
  }
  return used;
}

// Sends BEGIN, one statement per round, COMMIT and a sync point; nothing is read yet.
Result<void> PostgresStore::send_batch(PGconn* conn, std::size_t rounds) {
  if (PQsendQueryParams(conn, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0) == 0) {
    return pg::fail(conn, nullptr, "send begin");
  }
  constexpr int kParams = pg::RowArrays::kColumns + 1;
  const char* values[kParams];
  int lengths[kParams];
  int formats[kParams];
  std::fill(std::begin(formats), std::end(formats), 1);
  char now[8];
  pg::put_int8(now, unix_now_us());
  for (std::size_t r = 0; r < rounds; ++r) {
    rounds_[r].parameters(values, lengths);
    values[kParams - 1] = now;
    lengths[kParams - 1] = 8;
    if (PQsendQueryPrepared(conn, "hb_insert_batch", kParams, values, lengths, formats, 1) ==
        0) {
      return pg::fail(conn, nullptr, "send insert");
    }
  }
  if (PQsendQueryParams(conn, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) == 0 ||
      PQpipelineSync(conn) == 0) {
    return pg::fail(conn, nullptr, "send commit");
  }
  return {};
}

// Reads what send_batch() sent: success only when every round returned its rows and the
// server answered COMMIT with COMMIT. On failure the rest of the segment is drained.
Result<void> PostgresStore::read_batch(PGconn* conn, std::size_t rounds,
                                       std::vector<Appended>& out) {
  auto fail = [conn](boost::system::error_code ec) {
    pg::drain_to_sync(conn);
    return ec;
  };
  if (auto begun = pg::next_result(conn, PGRES_COMMAND_OK, "begin"); !begun) {
    return fail(begun.error());
  }
  for (std::size_t r = 0; r < rounds; ++r) {
    auto result = pg::next_result(conn, PGRES_TUPLES_OK, "insert");
    if (!result) {
      return fail(result.error());
    }
    const PGresult* rows = result->get();
    if (static_cast<std::size_t>(PQntuples(rows)) != rounds_[r].rows()) {
      spdlog::error("store: postgresql insert returned {} rows for {}", PQntuples(rows),
                    rounds_[r].rows());
      return fail(make_error_code(StoreError::io));
    }
    for (int i = 0; i < PQntuples(rows); ++i) {
      const std::int64_t original = pg::cell_int8(rows, i, 1);
      out.push_back(Appended{pg::cell_int8(rows, i, 0), original != 0, original,
                             pg::cell_int8(rows, i, 2)});
    }
  }
  auto committed = pg::next_result(conn, PGRES_COMMAND_OK, "commit");
  if (!committed) {
    return fail(committed.error());
  }
  if (std::string_view(PQcmdStatus(committed->get())) != "COMMIT") {
    spdlog::error("store: postgresql commit answered {}", PQcmdStatus(committed->get()));
    return fail(make_error_code(StoreError::io));
  }
  return pg::read_sync(conn);
}

// BEGIN, the rounds and COMMIT travel together in pipeline mode: one round trip per batch.
Result<std::vector<Appended>> PostgresStore::append_pipelined(PGconn* conn,
                                                              std::span<const NewMessage> batch,
                                                              std::int64_t window_us) {
  std::vector<Appended> out;
  out.reserve(batch.size());
  const std::size_t rounds = plan_rounds(batch, window_us);
  if (PQenterPipelineMode(conn) == 0) {
    return failed(nullptr, "enter pipeline mode");
  }
  if (auto sent = send_batch(conn, rounds); !sent) {
    conn_.reset();  // queries in flight without a sync point: the session cannot be reused
    return sent.error();
  }
  const Result<void> done = read_batch(conn, rounds, out);
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
  pg::put_int8(now, unix_now_us());
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

// Store contract: not forced to disk. synchronous_commit=off for this transaction only: the
// commit record goes to the WAL without waiting for the flush, and the next append's commit,
// which waits, flushes the WAL up to its own record and so this one with it.
Result<void> PostgresStore::set_statuses(std::span<const StatusUpdate> updates) {
  if (updates.empty()) {
    return {};
  }
  auto conn = connection();
  if (!conn) {
    return conn.error();
  }
  BinaryArray ids(pg::kInt8);
  BinaryArray statuses(pg::kText);
  BinaryArray errors(pg::kText);
  std::string scratch;
  for (const StatusUpdate& u : updates) {
    char key[8];
    pg::put_int8(key, u.id);
    ids.add({key, 8});
    statuses.add(to_string(u.status));
    errors.add(clean_text(u.error, scratch));
  }
  char now[8];
  pg::put_int8(now, unix_now_us());
  const char* values[] = {ids.data(), statuses.data(), errors.data(), now};
  const int lengths[] = {ids.size(), statuses.size(), errors.size(), 8};
  const int formats[] = {1, 1, 1, 1};
  if (auto begun = pg::exec(*conn, "BEGIN; SET LOCAL synchronous_commit TO off",
                            PGRES_COMMAND_OK, "begin");
      !begun) {
    return begun.error();  // connection() rolls back or reconnects on the next call
  }
  const PgResult r(PQexecPrepared(*conn, "hb_set_statuses", 4, values, lengths, formats, 1));
  Result<void> done;
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    done = failed(r.get(), "set statuses");
  } else if (pg::cell_int8(r.get(), 0, 0) != pg::cell_int8(r.get(), 0, 1)) {
    done = make_error_code(StoreError::not_found);
  } else {
    done = insert_deliveries(*conn, updates, now);
  }
  const char* end = done ? "COMMIT" : "ROLLBACK";
  if (auto ended = pg::exec(*conn, end, PGRES_COMMAND_OK, end); !ended && done) {
    return ended.error();
  }
  return done;
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

// One statement is one transaction: no BEGIN/COMMIT round trips.
Result<std::size_t> PostgresStore::prune(std::int64_t received_before_us, std::size_t limit) {
  if (limit == 0) {
    return std::size_t{0};
  }
  auto conn = connection();
  if (!conn) {
    return conn.error();
  }
  char before[8];
  char max[8];
  pg::put_int8(before, received_before_us);
  pg::put_int8(max, sql_limit(limit));
  const char* values[] = {before, max};
  const int lengths[] = {8, 8};
  const int formats[] = {1, 1};
  const PgResult r(PQexecPrepared(*conn, "hb_prune", 2, values, lengths, formats, 1));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    return failed(r.get(), "prune");
  }
  return static_cast<std::size_t>(pg::cell_int8(r.get(), 0, 0));
}

Result<std::int64_t> PostgresStore::data_bytes() {
  auto conn = connection();
  if (!conn) {
    return conn.error();
  }
  const PgResult r(PQexecPrepared(*conn, "hb_data_bytes", 0, nullptr, nullptr, nullptr, 1));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    return failed(r.get(), "data size");
  }
  return pg::cell_int8(r.get(), 0, 0);
}

}  // namespace hisbridge::store
