// Retention for SqliteStore: deleting old messages in small batches and giving the freed
// pages back to the file system without a long write lock.
#include <spdlog/spdlog.h>

#include <array>
#include <string>
#include <vector>

#include "engine/store/query_sql.hpp"
#include "engine/store/sqlite_store.hpp"

namespace hisbridge::store {
using sqlite::bind_int;
using sqlite::fail;
using sqlite::ResetOnExit;

namespace {

// The walk follows the received_at index and stops at the cutoff, so a pass over a journal
// with nothing to delete reads only the rows before the cutoff, not the whole table.
// `id < max(id)`: the newest row stays, so a rowid is never handed out twice (ids without
// AUTOINCREMENT continue from the largest one left), and processing's "after this id" cursor
// stays valid.
// A message whose delivery is still under way (a pending queue entry) stays.
constexpr const char* kPrune =
    "DELETE FROM hisbridge_messages WHERE id IN (SELECT m.id FROM hisbridge_messages m"
    " WHERE m.received_at_us < ?1 AND m.status IN ('processed', 'error', 'rejected', 'duplicate')"
    " AND m.id < (SELECT max(id) FROM hisbridge_messages)"
    " AND NOT EXISTS (SELECT 1 FROM hisbridge_deliveries d WHERE d.message_id = m.id"
    " AND d.state = 'pending')"
    " ORDER BY m.received_at_us, m.id LIMIT ?2) RETURNING id, status";

constexpr const char* kPruneDeliveries = "DELETE FROM hisbridge_deliveries WHERE message_id = ?1";

// The pages in use: the free list holds what prunes released and incremental_vacuum has not
// yet given back.
constexpr const char* kDataBytes =
    "SELECT (c.page_count - f.freelist_count) * s.page_size"
    " FROM pragma_page_count() AS c, pragma_freelist_count() AS f, pragma_page_size() AS s";

constexpr int kAutoVacuumIncremental = 2;  // PRAGMA auto_vacuum: 0 none, 1 full, 2 incremental

}  // namespace

Result<std::size_t> SqliteStore::prune(std::int64_t received_before_us, std::size_t limit) {
  if (limit == 0) {
    return std::size_t{0};
  }
  auto deleted = delete_oldest(received_before_us, limit);
  if (!deleted || *deleted == 0) {
    return deleted;
  }
  if (auto released = release_free_pages(); !released) {
    return released.error();
  }
  return deleted;
}

Result<std::int64_t> SqliteStore::data_bytes() {
  auto statement = sqlite::prepare(db_.get(), kDataBytes);
  if (!statement) {
    return statement.error();
  }
  const int rc = sqlite3_step(statement->get());
  if (rc != SQLITE_ROW) {
    return fail(db_.get(), rc, "data size");
  }
  return sqlite3_column_int64(statement->get(), 0);
}

// One transaction: the rows, and the status counts moved by what was deleted.
Result<std::size_t> SqliteStore::delete_oldest(std::int64_t received_before_us,
                                               std::size_t limit) {
  auto prune = kept(prune_, kPrune);
  auto prune_deliveries = kept(prune_deliveries_, kPruneDeliveries);
  if (!prune || !prune_deliveries) {
    return !prune ? prune.error() : prune_deliveries.error();
  }
  // Deleting is not worth an fsync of its own: the next append's covers it (as set_statuses).
  if (auto mode = use_full_sync(false); !mode) {
    return mode.error();
  }
  if (auto begun = sqlite::run(db_.get(), begin_.get(), "begin"); !begun) {
    return begun.error();
  }
  std::array<std::int64_t, 5> deleted{};
  std::size_t total = 0;
  std::vector<std::int64_t> ids;
  Result<void> work = [&]() -> Result<void> {
    sqlite3_stmt* s = *prune;
    const ResetOnExit reset(s);
    bind_int(s, 1, received_before_us);
    bind_int(s, 2, sql_limit(limit));
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      ids.push_back(sqlite3_column_int64(s, 0));
      const auto status = status_from_string(sqlite::column_text(s, 1));
      ++deleted[static_cast<std::size_t>(status.value_or(MessageStatus::error))];
      ++total;
    }
    return rc == SQLITE_DONE ? Result<void>() : Result<void>(fail(db_.get(), rc, "prune"));
  }();
  // The queue entries of the deleted messages (delivered or dead) go with them.
  for (std::size_t i = 0; work && i < ids.size(); ++i) {
    bind_int(*prune_deliveries, 1, ids[i]);
    work = sqlite::run(db_.get(), *prune_deliveries, "prune deliveries");
  }
  for (std::size_t i = 0; work && i < deleted.size(); ++i) {
    if (deleted[i] != 0) {
      work = add_count(static_cast<MessageStatus>(i), -deleted[i]);
    }
  }
  if (auto done = commit_or_rollback(std::move(work)); !done) {
    return done.error();
  }
  return total;
}

// A few pages per batch: incremental_vacuum moves pages from the end of the file into free
// slots and truncates it (at the next checkpoint in WAL mode); a few hundred pages keep that
// transaction as short as the delete before it.
Result<void> SqliteStore::release_free_pages() {
  if (auto_vacuum_ < 0) {
    auto check = sqlite::prepare(db_.get(), "PRAGMA auto_vacuum");
    if (!check) {
      return check.error();
    }
    const int rc = sqlite3_step(check->get());
    if (rc != SQLITE_ROW) {
      return fail(db_.get(), rc, "read auto_vacuum");
    }
    auto_vacuum_ = sqlite3_column_int(check->get(), 0);
    if (auto_vacuum_ != kAutoVacuumIncremental) {
      spdlog::info("store: {} was created without auto_vacuum=INCREMENTAL: the space of pruned "
                   "messages is reused but the file does not shrink (the operator guide's "
                   "Retention section says how to convert it while the engine is stopped)",
                   file_.string());
    }
  }
  if (auto_vacuum_ != kAutoVacuumIncremental) {
    return {};
  }
  const std::string sql = "PRAGMA incremental_vacuum(" + std::to_string(kVacuumPages) + ")";
  return sqlite::exec(db_.get(), sql.c_str());
}

}  // namespace hisbridge::store
