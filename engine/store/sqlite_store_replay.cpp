// Replay in SqliteStore (replay.hpp): messages set back to `received`, dead queue entries made
// pending again, and the audit log. Every call is one short transaction at synchronous=FULL:
// an operator's replay is rare, and once the command says it is done a crash must not undo it.
#include <string>
#include <vector>

#include "engine/core/clock.hpp"
#include "engine/store/query_sql.hpp"
#include "engine/store/replay_sql.hpp"
#include "engine/store/sqlite_store.hpp"
#include "engine/store/text.hpp"

namespace hisbridge::store {
using sqlite::bind_int;
using sqlite::bind_text;
using sqlite::fail;
using sqlite::ResetOnExit;

namespace {

const std::string kRangeStep = range_step_sql('?');
const std::string kCountReprocessable = count_reprocessable_sql('?');
const std::string kDeadStep = dead_step_sql('?');
const std::string kAudit = audit_sql('?');

// OR IGNORE and NOT EXISTS both keep the partial unique index's promise: a queue never holds
// two pending entries for one message.
constexpr const char* kRequeue =
    "UPDATE OR IGNORE hisbridge_deliveries SET state = 'pending', attempts = 0,"
    " next_attempt_us = 0, updated_at_us = ?2 WHERE id = ?1 AND state = 'dead'"
    " AND NOT EXISTS (SELECT 1 FROM hisbridge_deliveries AS p"
    " WHERE p.queue = hisbridge_deliveries.queue"
    " AND p.message_id = hisbridge_deliveries.message_id AND p.state = 'pending')";

constexpr const char* kInsertAudit =
    "INSERT INTO hisbridge_audit(at_us, actor, action, detail) VALUES(?1, ?2, ?3, ?4)";

bool replayable(MessageStatus status) {
  return status == MessageStatus::processed || status == MessageStatus::error;
}

}  // namespace

template <class Work>
Result<void> SqliteStore::in_durable_transaction(Work&& work) {
  if (auto mode = use_full_sync(true); !mode) {
    return mode;
  }
  if (auto begun = sqlite::run(db_.get(), begin_.get(), "begin"); !begun) {
    return begun;
  }
  return commit_or_rollback(std::forward<Work>(work)());
}

Result<void> SqliteStore::reprocess_one(std::int64_t id, std::int64_t now,
                                        std::array<std::int64_t, 5>& deltas, std::size_t& changed) {
  MessageStatus old = MessageStatus::received;
  {
    sqlite3_stmt* s = status_of_.get();
    const ResetOnExit reset(s);
    bind_int(s, 1, id);
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
      return {};
    }
    if (rc != SQLITE_ROW) {
      return fail(db_.get(), rc, "read status");
    }
    old = status_from_string(sqlite::column_text(s, 0)).value_or(MessageStatus::rejected);
  }
  if (!replayable(old)) {
    return {};
  }
  sqlite3_stmt* s = update_status_.get();
  bind_int(s, 1, id);
  bind_text(s, 2, to_string(MessageStatus::received));
  bind_text(s, 3, "");
  bind_int(s, 4, now);
  if (auto done = sqlite::run(db_.get(), s, "reprocess"); !done) {
    return done;
  }
  --deltas[static_cast<std::size_t>(old)];
  ++deltas[static_cast<std::size_t>(MessageStatus::received)];
  ++changed;
  return {};
}

// Inside a transaction: every id, then the counters once.
Result<void> SqliteStore::reprocess_ids(std::span<const std::int64_t> ids, std::size_t& changed) {
  const std::int64_t now = unix_now_us();
  std::array<std::int64_t, 5> deltas{};
  for (const std::int64_t id : ids) {
    if (auto one = reprocess_one(id, now, deltas, changed); !one) {
      return one;
    }
  }
  for (std::size_t i = 0; i < deltas.size(); ++i) {
    if (deltas[i] != 0) {
      if (auto done = add_count(static_cast<MessageStatus>(i), deltas[i]); !done) {
        return done;
      }
    }
  }
  return {};
}

Result<std::size_t> SqliteStore::reprocess(std::span<const std::int64_t> ids) {
  std::size_t changed = 0;
  if (ids.empty()) {
    return changed;
  }
  auto done = in_durable_transaction([&] { return reprocess_ids(ids, changed); });
  if (!done) {
    return done.error();
  }
  return changed;
}

Result<void> SqliteStore::range_step(const ReprocessRange& range, std::int64_t after_id,
                                     std::size_t limit, ReplayBatch& out) {
  auto s = kept(range_step_, kRangeStep.c_str());
  if (!s) {
    return s.error();
  }
  std::vector<std::int64_t> ids;
  {
    const ResetOnExit reset(*s);
    std::string scratch;
    bind_text(*s, 1, clean_text(range.source, scratch));
    bind_int(*s, 2, range.from_us);
    bind_int(*s, 3, range.to_us);
    bind_int(*s, 4, after_id);
    bind_int(*s, 5, sql_limit(limit));
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(*s)) == SQLITE_ROW) {
      ids.push_back(sqlite3_column_int64(*s, 0));
      out.last_at_us = sqlite3_column_int64(*s, 1);
    }
    if (rc != SQLITE_DONE) {
      return fail(db_.get(), rc, "read a replay range");
    }
  }
  out.last_id = ids.empty() ? 0 : ids.back();
  return reprocess_ids(ids, out.changed);
}

Result<ReplayBatch> SqliteStore::reprocess_range(const ReprocessRange& range, std::int64_t after_id,
                                                 std::size_t limit) {
  ReplayBatch out;
  auto done = in_durable_transaction([&] { return range_step(range, after_id, limit, out); });
  if (!done) {
    return done.error();
  }
  return out;
}

Result<std::size_t> SqliteStore::count_reprocessable(const ReprocessRange& range) {
  auto s = kept(count_reprocessable_, kCountReprocessable.c_str());
  if (!s) {
    return s.error();
  }
  const ResetOnExit reset(*s);
  std::string scratch;
  bind_text(*s, 1, clean_text(range.source, scratch));
  bind_int(*s, 2, range.from_us);
  bind_int(*s, 3, range.to_us);
  const int rc = sqlite3_step(*s);
  if (rc != SQLITE_ROW) {
    return fail(db_.get(), rc, "count a replay range");
  }
  return static_cast<std::size_t>(sqlite3_column_int64(*s, 0));
}

Result<void> SqliteStore::requeue_step(std::string_view queue, std::int64_t after_id,
                                       std::size_t limit, ReplayBatch& out) {
  auto pick = kept(dead_step_, kDeadStep.c_str());
  auto requeue = kept(requeue_, kRequeue);
  if (!pick || !requeue) {
    return !pick ? pick.error() : requeue.error();
  }
  std::vector<std::int64_t> ids;
  {
    const ResetOnExit reset(*pick);
    bind_text(*pick, 1, queue);
    bind_int(*pick, 2, after_id);
    bind_int(*pick, 3, sql_limit(limit));
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(*pick)) == SQLITE_ROW) {
      ids.push_back(sqlite3_column_int64(*pick, 0));
    }
    if (rc != SQLITE_DONE) {
      return fail(db_.get(), rc, "read dead letters");
    }
  }
  const std::int64_t now = unix_now_us();
  for (const std::int64_t id : ids) {
    bind_int(*requeue, 1, id);
    bind_int(*requeue, 2, now);
    if (auto done = sqlite::run(db_.get(), *requeue, "requeue a dead letter"); !done) {
      return done;
    }
    out.changed += sqlite3_changes(db_.get()) > 0 ? std::size_t{1} : std::size_t{0};
  }
  out.last_id = ids.empty() ? 0 : ids.back();
  return {};
}

Result<ReplayBatch> SqliteStore::requeue_dead(std::string_view queue, std::int64_t after_id,
                                              std::size_t limit) {
  ReplayBatch out;
  auto done = in_durable_transaction([&] { return requeue_step(queue, after_id, limit, out); });
  if (!done) {
    return done.error();
  }
  return out;
}

Result<void> SqliteStore::append_audit(const NewAuditEntry& entry) {
  auto s = kept(insert_audit_, kInsertAudit);
  if (!s) {
    return s.error();
  }
  std::string actor;
  std::string action;
  std::string detail;
  bind_int(*s, 1, unix_now_us());
  bind_text(*s, 2, clean_text(entry.actor, actor));
  bind_text(*s, 3, clean_text(entry.action, action));
  bind_text(*s, 4, clean_text(entry.detail, detail));
  return in_durable_transaction([&] { return sqlite::run(db_.get(), *s, "write the audit log"); });
}

Result<std::vector<AuditEntry>> SqliteStore::audit(std::size_t limit) {
  auto s = kept(audit_, kAudit.c_str());
  if (!s) {
    return s.error();
  }
  const ResetOnExit reset(*s);
  bind_int(*s, 1, sql_limit(limit));
  std::vector<AuditEntry> out;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(*s)) == SQLITE_ROW) {
    out.push_back({sqlite3_column_int64(*s, 0), sqlite3_column_int64(*s, 1),
                   std::string(sqlite::column_text(*s, 2)), std::string(sqlite::column_text(*s, 3)),
                   std::string(sqlite::column_text(*s, 4))});
  }
  if (rc != SQLITE_DONE) {
    return fail(db_.get(), rc, "read the audit log");
  }
  return out;
}

}  // namespace hisbridge::store
