// The destination queues of PostgresStore (delivery_queue.hpp), the same rules as SQLite's
// (queue_sql.hpp).
#include <string>

#include "engine/core/clock.hpp"
#include "engine/store/pg_binary_array.hpp"
#include "engine/store/postgres_schema.hpp"
#include "engine/store/postgres_store.hpp"
#include "engine/store/query_sql.hpp"
#include "engine/store/queue_sql.hpp"
#include "engine/store/text.hpp"

namespace hisbridge::store {
using pg::BinaryArray;
using pg::PgResult;

namespace {

constexpr Oid kInt8Array = 1016;
constexpr Oid kTextArray = 1009;

// A queue that already holds a pending entry for the message gets no second one (the partial
// unique index); ids are drawn in input order.
constexpr const char* kInsertDeliveries =
    "INSERT INTO hisbridge_deliveries(message_id, queue, order_key, state, created_at_us,"
    " updated_at_us) SELECT message_id, queue, order_key, 'pending', $4, $4"
    " FROM unnest($1::bigint[], $2::text[], $3::text[]) WITH ORDINALITY"
    " AS u(message_id, queue, order_key, ord) ORDER BY ord ON CONFLICT DO NOTHING";
constexpr Oid kInsertDeliveriesTypes[] = {kInt8Array, kTextArray, kTextArray, pg::kInt8};

constexpr const char* kUpdateDeliveries =
    "UPDATE hisbridge_deliveries AS d SET state = u.state, attempts = u.attempts,"
    " next_attempt_us = u.next_attempt_us, last_error = u.last_error, updated_at_us = $6"
    " FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[])"
    " AS u(id, state, attempts, next_attempt_us, last_error) WHERE d.id = u.id";
constexpr Oid kUpdateDeliveriesTypes[] = {kInt8Array, kTextArray, kInt8Array, kInt8Array,
                                          kTextArray, pg::kInt8};

struct QueueStatement {
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

Result<void> PostgresStore::prepare_queue_statements() {
  static constexpr Oid due_types[] = {pg::kText, pg::kInt8, pg::kInt8};
  static constexpr Oid of_types[] = {pg::kInt8};
  const QueueStatement all[] = {
      {"hb_insert_deliveries", kInsertDeliveries, 4, kInsertDeliveriesTypes},
      {"hb_due_deliveries", due_deliveries_sql('$'), 3, due_types},
      {"hb_update_deliveries", kUpdateDeliveries, 6, kUpdateDeliveriesTypes},
      {"hb_deliveries_of",
       "SELECT " + std::string(kDeliveryColumns) +
           " FROM hisbridge_deliveries WHERE message_id = $1 ORDER BY id",
       1, of_types},
      {"hb_queue_depths", queue_depths_sql(), 0, nullptr},
  };
  for (const QueueStatement& p : all) {
    const PgResult r(PQprepare(conn_.get(), p.name, p.sql.c_str(), p.n_params, p.types));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      return failed(r.get(), p.name);
    }
  }
  return {};
}

Result<void> PostgresStore::insert_deliveries(PGconn* conn,
                                              std::span<const StatusUpdate> updates,
                                              const char* now) {
  BinaryArray messages(pg::kInt8);
  BinaryArray queues(pg::kText);
  BinaryArray keys(pg::kText);
  std::string scratch;
  std::size_t count = 0;
  for (const StatusUpdate& u : updates) {
    for (const NewDelivery& d : u.deliveries) {
      char id[8];
      messages.add(int8(id, u.id));
      queues.add(d.queue);
      keys.add(clean_text(d.order_key, scratch));
      ++count;
    }
  }
  if (count == 0) {
    return {};
  }
  const char* values[] = {messages.data(), queues.data(), keys.data(), now};
  const int lengths[] = {messages.size(), queues.size(), keys.size(), 8};
  const int formats[] = {1, 1, 1, 1};
  const PgResult r(
      PQexecPrepared(conn, "hb_insert_deliveries", 4, values, lengths, formats, 1));
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    return failed(r.get(), "queue deliveries");
  }
  return {};
}

Result<std::vector<QueuedDelivery>> PostgresStore::query_deliveries(
    const char* statement, int n_params, const char* const* values, const int* lengths,
    std::string_view what) {
  auto conn = connection();
  if (!conn) {
    return conn.error();
  }
  std::vector<int> formats(static_cast<std::size_t>(n_params), 1);
  const PgResult r(
      PQexecPrepared(*conn, statement, n_params, values, lengths, formats.data(), 1));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    return failed(r.get(), what);
  }
  std::vector<QueuedDelivery> out(static_cast<std::size_t>(PQntuples(r.get())));
  for (std::size_t i = 0; i < out.size(); ++i) {
    pg::read_delivery(r.get(), static_cast<int>(i), out[i]);
  }
  return out;
}

Result<std::vector<QueuedDelivery>> PostgresStore::due_deliveries(std::string_view queue,
                                                                  std::int64_t now_us,
                                                                  std::size_t limit) {
  char now[8];
  char max[8];
  int8(now, now_us);
  int8(max, sql_limit(limit));
  const char* values[] = {queue.data(), now, max};
  const int lengths[] = {static_cast<int>(queue.size()), 8, 8};
  return query_deliveries("hb_due_deliveries", 3, values, lengths, "read due deliveries");
}

Result<std::vector<QueuedDelivery>> PostgresStore::deliveries_of(std::int64_t message_id) {
  char id[8];
  int8(id, message_id);
  const char* values[] = {id};
  const int lengths[] = {8};
  return query_deliveries("hb_deliveries_of", 1, values, lengths, "read a message's deliveries");
}

// Not forced to disk on its own (Store contract), as set_statuses().
Result<void> PostgresStore::update_deliveries(std::span<const DeliveryUpdate> updates) {
  if (updates.empty()) {
    return {};
  }
  auto conn = connection();
  if (!conn) {
    return conn.error();
  }
  BinaryArray ids(pg::kInt8), states(pg::kText), attempts(pg::kInt8), next(pg::kInt8),
      errors(pg::kText);
  std::string scratch;
  for (const DeliveryUpdate& u : updates) {
    char buffer[8];
    ids.add(int8(buffer, u.id));
    states.add(to_string(u.state));
    attempts.add(int8(buffer, u.attempts));
    next.add(int8(buffer, u.next_attempt_us));
    errors.add(clean_text(u.last_error, scratch));
  }
  char now[8];
  int8(now, unix_now_us());
  const char* values[] = {ids.data(), states.data(), attempts.data(), next.data(),
                          errors.data(), now};
  const int lengths[] = {ids.size(), states.size(), attempts.size(), next.size(),
                         errors.size(), 8};
  const int formats[] = {1, 1, 1, 1, 1, 1};
  if (auto begun = pg::exec(*conn, "BEGIN; SET LOCAL synchronous_commit TO off",
                            PGRES_COMMAND_OK, "begin");
      !begun) {
    return begun.error();
  }
  const PgResult r(
      PQexecPrepared(*conn, "hb_update_deliveries", 6, values, lengths, formats, 1));
  Result<void> done;
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    done = failed(r.get(), "update deliveries");
  }
  const char* end = done ? "COMMIT" : "ROLLBACK";
  if (auto ended = pg::exec(*conn, end, PGRES_COMMAND_OK, end); !ended && done) {
    return ended.error();
  }
  return done;
}

Result<std::vector<QueueDepth>> PostgresStore::queue_depths() {
  auto conn = connection();
  if (!conn) {
    return conn.error();
  }
  const PgResult r(PQexecPrepared(*conn, "hb_queue_depths", 0, nullptr, nullptr, nullptr, 1));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    return failed(r.get(), "read queue depths");
  }
  std::vector<QueueDepth> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    QueueDepth q{std::string(pg::cell(r.get(), i, 0)), pg::cell_int8(r.get(), i, 1),
                 pg::cell_int8(r.get(), i, 2), pg::cell_int8(r.get(), i, 3)};
    if (q.pending != 0 || q.dead != 0) {
      out.push_back(std::move(q));
    }
  }
  return out;
}

}  // namespace hisbridge::store
