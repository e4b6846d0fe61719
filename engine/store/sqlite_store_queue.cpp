// The destination queues of SqliteStore (delivery_queue.hpp): entries written with the status
// of their message, read by the delivery workers, updated after each attempt.
#include <spdlog/spdlog.h>

#include <string>

#include "engine/core/clock.hpp"
#include "engine/store/query_sql.hpp"
#include "engine/store/queue_sql.hpp"
#include "engine/store/sqlite_schema.hpp"
#include "engine/store/sqlite_store.hpp"

namespace hisbridge::store {
using sqlite::bind_int;
using sqlite::bind_text;
using sqlite::fail;
using sqlite::ResetOnExit;

namespace {

// The second pending entry of a message in one queue is ignored: a batch processed again
// after a crash, or a replay of a message whose delivery is still under way, owes nothing new.
constexpr const char* kInsertDelivery =
    "INSERT OR IGNORE INTO hisbridge_deliveries(message_id, queue, order_key, state,"
    " created_at_us, updated_at_us) VALUES(?1, ?2, ?3, 'pending', ?4, ?4)";

const std::string kDueDeliveries = due_deliveries_sql('?');

constexpr const char* kUpdateDelivery =
    "UPDATE hisbridge_deliveries SET state = ?2, attempts = ?3, next_attempt_us = ?4,"
    " last_error = ?5, updated_at_us = ?6 WHERE id = ?1";

const std::string kDeliveriesOf = "SELECT " + std::string(kDeliveryColumns) +
                                  " FROM hisbridge_deliveries WHERE message_id = ?1 ORDER BY id";

const std::string kQueueDepths = queue_depths_sql();

}  // namespace

Result<sqlite3_stmt*> SqliteStore::kept(sqlite::Statement& slot, const char* sql) {
  if (!slot) {
    auto prepared = sqlite::prepare(db_.get(), sql);
    if (!prepared) {
      return prepared.error();
    }
    slot = std::move(*prepared);
  }
  return slot.get();
}

Result<void> SqliteStore::insert_deliveries(const StatusUpdate& update, std::int64_t now_us) {
  if (update.deliveries.empty()) {
    return {};
  }
  auto s = kept(insert_delivery_, kInsertDelivery);
  if (!s) {
    return s.error();
  }
  for (const NewDelivery& d : update.deliveries) {
    bind_int(*s, 1, update.id);
    bind_text(*s, 2, d.queue);
    bind_text(*s, 3, d.order_key);
    bind_int(*s, 4, now_us);
    if (auto done = sqlite::run(db_.get(), *s, "queue a delivery"); !done) {
      return done;
    }
  }
  return {};
}

Result<std::vector<QueuedDelivery>> SqliteStore::read_deliveries(sqlite3_stmt* s,
                                                                 std::string_view what) {
  const ResetOnExit reset(s);
  std::vector<QueuedDelivery> out;
  for (;;) {
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
      return out;
    }
    if (rc != SQLITE_ROW) {
      return fail(db_.get(), rc, what);
    }
    sqlite::read_delivery(s, out.emplace_back());
  }
}

Result<std::vector<QueuedDelivery>> SqliteStore::due_deliveries(std::string_view queue,
                                                                std::int64_t now_us,
                                                                std::size_t limit) {
  auto s = kept(due_deliveries_, kDueDeliveries.c_str());
  if (!s) {
    return s.error();
  }
  bind_text(*s, 1, queue);
  bind_int(*s, 2, now_us);
  bind_int(*s, 3, sql_limit(limit));
  return read_deliveries(*s, "read due deliveries");
}

Result<void> SqliteStore::update_deliveries(std::span<const DeliveryUpdate> updates) {
  if (updates.empty()) {
    return {};
  }
  auto s = kept(update_delivery_, kUpdateDelivery);
  if (!s) {
    return s.error();
  }
  if (auto mode = use_full_sync(false); !mode) {
    return mode;
  }
  if (auto begun = sqlite::run(db_.get(), begin_.get(), "begin"); !begun) {
    return begun;
  }
  const std::int64_t now = unix_now_us();
  Result<void> work;
  for (const DeliveryUpdate& u : updates) {
    bind_int(*s, 1, u.id);
    bind_text(*s, 2, to_string(u.state));
    bind_int(*s, 3, u.attempts);
    bind_int(*s, 4, u.next_attempt_us);
    bind_text(*s, 5, u.last_error);
    bind_int(*s, 6, now);
    work = sqlite::run(db_.get(), *s, "update a delivery");
    if (!work) {
      break;
    }
  }
  return commit_or_rollback(std::move(work));
}

Result<std::vector<QueuedDelivery>> SqliteStore::deliveries_of(std::int64_t message_id) {
  auto s = kept(deliveries_of_, kDeliveriesOf.c_str());
  if (!s) {
    return s.error();
  }
  bind_int(*s, 1, message_id);
  return read_deliveries(*s, "read a message's deliveries");
}

Result<std::vector<QueueDepth>> SqliteStore::queue_depths() {
  auto s = kept(queue_depths_, kQueueDepths.c_str());
  if (!s) {
    return s.error();
  }
  const ResetOnExit reset(*s);
  std::vector<QueueDepth> out;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(*s)) == SQLITE_ROW) {
    QueueDepth q{std::string(sqlite::column_text(*s, 0)), sqlite3_column_int64(*s, 1),
                 sqlite3_column_int64(*s, 2), sqlite3_column_int64(*s, 3)};
    if (q.pending != 0 || q.dead != 0) {
      out.push_back(std::move(q));
    }
  }
  if (rc != SQLITE_DONE) {
    return fail(db_.get(), rc, "read queue depths");
  }
  return out;
}

}  // namespace hisbridge::store
