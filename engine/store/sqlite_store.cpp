#include "engine/store/sqlite_store.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <string>

#include "engine/store/query_sql.hpp"
#include "engine/store/sqlite_schema.hpp"
#include "engine/core/clock.hpp"
#include "engine/store/duplicate_window.hpp"
#include "engine/store/text.hpp"

namespace hisbridge::store {
namespace fs = std::filesystem;
using sqlite::bind_blob;
using sqlite::bind_int;
using sqlite::bind_text;
using sqlite::fail;
using sqlite::ResetOnExit;

namespace {

// Makes a new file's directory entry durable, so the first committed batch survives a power
// cut that comes before the file system has written the directory on its own.
void sync_directory(const fs::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

Result<void> configure(sqlite3* db, const SqliteOptions& o) {
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, o.busy_timeout_ms);
  // page_size and auto_vacuum first: they only take effect before the first table exists and
  // WAL is on. On an existing file auto_vacuum=INCREMENTAL changes nothing (it would need a
  // VACUUM, which the engine never runs on its own: SqliteStore::prune()).
  const std::string pragmas =
      "PRAGMA page_size=" + std::to_string(o.page_size) +
      ";PRAGMA auto_vacuum=INCREMENTAL;PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA temp_store=MEMORY" +
      ";PRAGMA cache_size=-" + std::to_string(o.cache_size_kib) +
      ";PRAGMA wal_autocheckpoint=" + std::to_string(o.wal_autocheckpoint_pages) +
      ";PRAGMA journal_size_limit=" + std::to_string(64 * 1024 * 1024);
  if (auto done = sqlite::exec(db, pragmas.c_str()); !done) {
    return done;
  }
  // journal_mode answers with the mode it got: a file system without shared memory support
  // keeps the old one, and then commits would not be what this class promises.
  auto check = sqlite::prepare(db, "PRAGMA journal_mode");
  if (!check) {
    return check.error();
  }
  const int rc = sqlite3_step(check->get());
  if (rc != SQLITE_ROW || sqlite::column_text(check->get(), 0) != "wal") {
    spdlog::error("store: sqlite could not switch the journal to WAL mode");
    return StoreError::unavailable;
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const fs::path& file,
                                                       const SqliteOptions& options) {
  std::error_code ec;
  const bool existed = fs::exists(file, ec);
  auto opened = sqlite::open_file(file, "store");
  if (!opened) {
    return opened.error();
  }
  sqlite::Db db = std::move(*opened);
  if (auto done = configure(db.get(), options); !done) {
    return done.error();
  }
  if (auto done = sqlite::ensure_schema(db.get()); !done) {
    return done.error();
  }
  if (!existed) {
    sync_directory(file.parent_path());
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(file, std::move(db), options));
  if (auto done = store->prepare_statements(); !done) {
    return done.error();
  }
  return store;
}

SqliteStore::SqliteStore(fs::path file, sqlite::Db db, const SqliteOptions& options)
    : file_(std::move(file)),
      db_(std::move(db)),
      compression_level_(options.raw_compression_level) {}

SqliteStore::~SqliteStore() {
  if (wal_fd_ >= 0) {
    ::close(wal_fd_);
  }
}

Result<void> SqliteStore::prepare_statements() {
  const std::string columns(sqlite::kMessageColumns);
  const std::pair<sqlite::Statement*, std::string> all[] = {
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
      // The first message under the key with the same bytes, else the first under the key.
      {&find_original_,
       "SELECT id, raw_format = ?6 AND raw = ?7 AS same FROM hisbridge_messages"
       " WHERE control_id = ?1 AND sending_application = ?2"
       " AND sending_facility = ?3 AND received_at_us BETWEEN ?4 AND ?5"
       " AND status NOT IN ('rejected', 'duplicate') ORDER BY same DESC, id LIMIT 1"},
      {&insert_,
       "INSERT INTO hisbridge_messages(received_at_us, updated_at_us, source, peer, control_id,"
       " sending_application, sending_facility, message_type, patient_id, status, error,"
       " duplicate_of, raw, raw_format)"
       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"},
      {&add_count_, "UPDATE hisbridge_counts SET messages = messages + ?2 WHERE status = ?1"},
      {&get_, "SELECT " + columns + " FROM hisbridge_messages WHERE id = ?1"},
      {&pending_, "SELECT " + columns +
                      " FROM hisbridge_messages WHERE source = ?1 AND status = 'received'"
                      " AND id > ?2 ORDER BY id LIMIT ?3"},
      {&status_of_, "SELECT status FROM hisbridge_messages WHERE id = ?1"},
      {&update_received_,
       "UPDATE hisbridge_messages SET status = ?2, error = ?3, updated_at_us = ?4"
       " WHERE id = ?1 AND status = 'received'"},
      {&update_status_,
       "UPDATE hisbridge_messages SET status = ?2, error = ?3, updated_at_us = ?4 WHERE id = ?1"},
      {&counts_, "SELECT status, messages FROM hisbridge_counts"},
  };
  for (const auto& [statement, sql] : all) {
    auto prepared = sqlite::prepare(db_.get(), sql);
    if (!prepared) {
      return prepared.error();
    }
    *statement = std::move(*prepared);
  }
  return {};
}

SqliteStore::Fields SqliteStore::clean_fields(const NewMessage& m) {
  const std::string* in[kFields] = {&m.source,       &m.peer,           &m.control_id,
                                     &m.sending_application, &m.sending_facility,
                                     &m.message_type, &m.patient_id,     &m.error};
  Fields out;
  for (std::size_t i = 0; i < kFields; ++i) {
    out[i] = clean_text(*in[i], scratch_[i]);
  }
  return out;
}

// The same bytes compare equal stored: one encoder with one level encodes them alike. A
// change of the compression level between a message and its resend makes the resend a new
// message, processed again: harmless, as every destination writes idempotently.
Result<SqliteStore::Original> SqliteStore::find_original(const Fields& f,
                                                         std::int64_t received_at_us,
                                                         std::int64_t window_us,
                                                         std::string_view stored,
                                                         RawFormat format) {
  sqlite3_stmt* s = find_original_.get();
  const ResetOnExit reset(s);
  bind_text(s, 1, f[kControlId]);
  bind_text(s, 2, f[kApplication]);
  bind_text(s, 3, f[kFacility]);
  bind_int(s, 4, duplicate_window_start(received_at_us, window_us));
  bind_int(s, 5, received_at_us);
  bind_int(s, 6, static_cast<int>(format));
  if (const int bound = bind_blob(s, 7, stored); bound != SQLITE_OK) {
    return fail(db_.get(), bound, "bind message");
  }
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    return Original{sqlite3_column_int64(s, 0), sqlite3_column_int(s, 1) != 0};
  }
  if (rc == SQLITE_DONE) {
    return Original{};
  }
  return fail(db_.get(), rc, "duplicate lookup");
}

Result<std::int64_t> SqliteStore::insert(const NewMessage& m, const Fields& f,
                                         MessageStatus status, std::int64_t duplicate_of,
                                         std::string_view stored, RawFormat format,
                                         std::int64_t now) {
  sqlite3_stmt* s = insert_.get();
  const ResetOnExit reset(s);
  bind_int(s, 1, m.received_at_us);
  bind_int(s, 2, now);
  bind_text(s, 3, f[kSource]);
  bind_text(s, 4, f[kPeer]);
  bind_text(s, 5, f[kControlId]);
  bind_text(s, 6, f[kApplication]);
  bind_text(s, 7, f[kFacility]);
  bind_text(s, 8, f[kType]);
  bind_text(s, 9, f[kPatient]);
  bind_text(s, 10, to_string(status));
  bind_text(s, 11, f[kError]);
  bind_int(s, 12, duplicate_of);
  const int bound = bind_blob(s, 13, stored);
  bind_int(s, 14, static_cast<int>(format));
  if (bound != SQLITE_OK) {
    return fail(db_.get(), bound, "bind message");  // SQLITE_TOOBIG
  }
  const int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE) {
    return fail(db_.get(), rc, "insert");
  }
  return sqlite3_last_insert_rowid(db_.get());
}

Result<void> SqliteStore::add_count(MessageStatus status, std::int64_t delta) {
  sqlite3_stmt* s = add_count_.get();
  bind_text(s, 1, to_string(status));
  bind_int(s, 2, delta);
  return sqlite::run(db_.get(), s, "count");
}

Result<void> SqliteStore::append_rows(std::span<const NewMessage> batch, std::int64_t window_us,
                                      std::vector<Appended>& out) {
  const std::int64_t now = unix_now_us();
  std::array<std::int64_t, 5> counts{};
  for (const NewMessage& m : batch) {
    const Fields f = clean_fields(m);
    RawFormat format = static_cast<RawFormat>(m.stored_format);
    const std::string_view stored =
        m.stored_raw.empty() ? codec_.encode(m.raw, compression_level_, packed_, format)
                             : std::string_view(m.stored_raw);
    MessageStatus status = m.status;
    std::int64_t original = 0;
    std::int64_t reused = 0;
    if (status == MessageStatus::received && !f[kControlId].empty() && window_us > 0) {
      auto found = find_original(f, m.received_at_us, window_us, stored, format);
      if (!found) {
        return found.error();
      }
      (found->same_bytes ? original : reused) = found->id;
      if (original != 0) {
        status = MessageStatus::duplicate;
      }
    }
    auto id = insert(m, f, status, original, stored, format, now);
    if (!id) {
      return id.error();
    }
    out.push_back(Appended{*id, original != 0, original, reused});
    ++counts[static_cast<std::size_t>(status)];
  }
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] != 0) {
      if (auto done = add_count(static_cast<MessageStatus>(i), counts[i]); !done) {
        return done;
      }
    }
  }
  return {};
}

// Commits when `work` succeeded; otherwise, or when the commit fails, rolls back (SQLite may
// have done so already after an I/O error) and returns the first error.
Result<void> SqliteStore::commit_or_rollback(Result<void> work) {
  if (work) {
    work = sqlite::run(db_.get(), commit_.get(), "commit");
  }
  if (!work && sqlite3_get_autocommit(db_.get()) == 0) {
    (void)sqlite::run(db_.get(), rollback_.get(), "rollback");
  }
  return work;
}

Result<std::vector<Appended>> SqliteStore::append(std::span<const NewMessage> batch,
                                                  std::int64_t duplicate_window_us) {
  return append_batch(batch, duplicate_window_us, true);
}

Result<std::vector<Appended>> SqliteStore::append_unsynced(std::span<const NewMessage> batch,
                                                           std::int64_t duplicate_window_us) {
  return append_batch(batch, duplicate_window_us, false);
}

Result<std::vector<Appended>> SqliteStore::append_batch(std::span<const NewMessage> batch,
                                                        std::int64_t window_us, bool wait) {
  std::vector<Appended> out;
  if (batch.empty()) {
    return out;
  }
  out.reserve(batch.size());
  if (auto mode = use_full_sync(wait); !mode) {
    return mode.error();
  }
  if (auto begun = sqlite::run(db_.get(), begin_.get(), "begin"); !begun) {
    return begun.error();
  }
  auto done = commit_or_rollback(append_rows(batch, window_us, out));
  if (!done) {
    return done.error();
  }
  return out;
}

// One codec per thread: its zstd contexts are reused from message to message.
void SqliteStore::prepare(NewMessage& message) const {
  thread_local RawCodec codec;
  RawFormat format = RawFormat::as_received;
  const std::string_view stored =
      codec.encode(message.raw, compression_level_, message.stored_raw, format);
  if (format == RawFormat::as_received || stored.data() != message.stored_raw.data()) {
    message.stored_raw.clear();  // kept as received: append() binds `raw` itself
    message.stored_format = 0;
    return;
  }
  message.stored_format = static_cast<int>(format);
}

// Every commit is in the WAL, written in order: an fdatasync of the WAL makes all of them
// durable, whichever connection wrote them. The descriptor is our own, so this runs safely
// beside the connection's work on another thread.
Result<void> SqliteStore::sync() {
  if (wal_fd_ < 0) {
    wal_fd_ = ::open((file_.string() + "-wal").c_str(), O_RDONLY | O_CLOEXEC);
    if (wal_fd_ < 0) {
      spdlog::error("store: cannot open the WAL of {} to sync it: {}", file_.string(),
                    std::strerror(errno));
      return StoreError::io;
    }
  }
  if (::fdatasync(wal_fd_) != 0) {
    spdlog::error("store: fdatasync of the WAL of {} failed: {}", file_.string(),
                  std::strerror(errno));
    return StoreError::io;
  }
  return {};
}

// Changes one row and notes the move between statuses in `deltas`; the caller adds them to
// the counters once for the whole transaction.
Result<void> SqliteStore::change_status(std::int64_t id, MessageStatus status,
                                        std::string_view error, std::int64_t now,
                                        std::array<std::int64_t, 5>& deltas) {
  // Most changes are processing's, of a message still `received`: one statement when the
  // row is in that state, the read and the update below otherwise.
  {
    sqlite3_stmt* s = update_received_.get();
    bind_int(s, 1, id);
    bind_text(s, 2, to_string(status));
    bind_text(s, 3, clean_text(error, scratch_[kError]));
    bind_int(s, 4, now);
    if (auto done = sqlite::run(db_.get(), s, "set status"); !done) {
      return done;
    }
    if (sqlite3_changes(db_.get()) == 1) {
      --deltas[static_cast<std::size_t>(MessageStatus::received)];
      ++deltas[static_cast<std::size_t>(status)];
      return {};
    }
  }
  MessageStatus old = MessageStatus::error;
  {
    sqlite3_stmt* s = status_of_.get();
    const ResetOnExit reset(s);
    bind_int(s, 1, id);
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
      return StoreError::not_found;
    }
    if (rc != SQLITE_ROW) {
      return fail(db_.get(), rc, "read status");
    }
    old = status_from_string(sqlite::column_text(s, 0)).value_or(MessageStatus::error);
  }
  sqlite3_stmt* s = update_status_.get();
  bind_int(s, 1, id);
  bind_text(s, 2, to_string(status));
  bind_text(s, 3, clean_text(error, scratch_[kError]));
  bind_int(s, 4, now);
  if (auto done = sqlite::run(db_.get(), s, "set status"); !done) {
    return done;
  }
  --deltas[static_cast<std::size_t>(old)];
  ++deltas[static_cast<std::size_t>(status)];
  return {};
}

Result<void> SqliteStore::change_statuses(std::span<const StatusUpdate> updates) {
  const std::int64_t now = unix_now_us();
  std::array<std::int64_t, 5> deltas{};
  for (const StatusUpdate& u : updates) {
    if (auto done = change_status(u.id, u.status, u.error, now, deltas); !done) {
      return done;
    }
    if (auto done = insert_deliveries(u, now); !done) {
      return done;
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

Result<void> SqliteStore::set_status(std::int64_t id, MessageStatus status,
                                     std::string_view error) {
  if (auto mode = use_full_sync(true); !mode) {
    return mode;
  }
  if (auto begun = sqlite::run(db_.get(), begin_.get(), "begin"); !begun) {
    return begun;
  }
  const StatusUpdate update{id, status, std::string(error), {}};
  return commit_or_rollback(change_statuses({&update, 1}));
}

// Store contract: not forced to disk. In WAL mode synchronous=NORMAL commits without an fsync;
// the frames go to the WAL in order, so the next append's or sync's fsync makes them durable.
Result<void> SqliteStore::set_statuses(std::span<const StatusUpdate> updates) {
  if (updates.empty()) {
    return {};
  }
  if (auto mode = use_full_sync(false); !mode) {
    return mode;
  }
  if (auto begun = sqlite::run(db_.get(), begin_.get(), "begin"); !begun) {
    return begun;
  }
  return commit_or_rollback(change_statuses(updates));
}

// synchronous=FULL: each commit fsyncs the WAL before it returns; NORMAL: it does not (the WAL
// is still synced before every checkpoint, so the database stays consistent). When switching
// to FULL fails, the flag stays false and the next call that needs FULL tries again: append()
// never runs at NORMAL.
Result<void> SqliteStore::use_full_sync(bool full) {
  if (full_sync_ == full) {
    return {};
  }
  full_sync_ = false;
  // Not a kept statement: PRAGMA synchronous takes effect when it is compiled, not when run.
  if (auto done = sqlite::exec(db_.get(), full ? "PRAGMA synchronous=FULL"
                                               : "PRAGMA synchronous=NORMAL");
      !done) {
    return done;
  }
  full_sync_ = full;
  return {};
}

Result<std::vector<StoredMessage>> SqliteStore::read_rows(sqlite3_stmt* s, std::size_t expected,
                                                          std::string_view what) {
  const ResetOnExit reset(s);
  std::vector<StoredMessage> out;
  out.reserve(std::min<std::size_t>(expected, 1024));
  for (;;) {
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
      return out;
    }
    if (rc != SQLITE_ROW) {
      return fail(db_.get(), rc, what);
    }
    if (!sqlite::read_message(s, out.emplace_back(), codec_)) {
      spdlog::error("store: sqlite {}: message {} does not decompress", what, out.back().id);
      return StoreError::corrupt;
    }
  }
}

Result<StoredMessage> SqliteStore::get(std::int64_t id) {
  bind_int(get_.get(), 1, id);
  auto rows = read_rows(get_.get(), 1, "get");
  if (!rows) {
    return rows.error();
  }
  if (rows->empty()) {
    return StoreError::not_found;
  }
  return std::move(rows->front());
}

Result<std::vector<StoredMessage>> SqliteStore::pending(std::string_view source,
                                                        std::int64_t after_id,
                                                        std::size_t limit) {
  std::string scratch;
  sqlite3_stmt* s = pending_.get();
  bind_text(s, 1, clean_text(source, scratch));
  bind_int(s, 2, after_id);
  bind_int(s, 3, sql_limit(limit));
  return read_rows(s, limit, "pending");
}

Result<std::vector<StoredMessage>> SqliteStore::find(const MessageQuery& query) {
  const QuerySql q = find_sql(query, sqlite::kMessageColumns, '?');
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db_.get(), q.sql.c_str(), static_cast<int>(q.sql.size()),
                                    &raw, nullptr);
  const sqlite::Statement s(raw);
  if (rc != SQLITE_OK) {
    return fail(db_.get(), rc, "prepare find");
  }
  for (std::size_t i = 0; i < q.params.size(); ++i) {
    const int index = static_cast<int>(i + 1);
    if (q.params[i].is_text) {
      bind_text(raw, index, q.params[i].text);
    } else {
      bind_int(raw, index, q.params[i].integer);
    }
  }
  return read_rows(raw, query.limit, "find");
}

Result<StoreStats> SqliteStore::stats() {
  StoreStats out;
  sqlite3_stmt* s = counts_.get();
  const ResetOnExit reset(s);
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const std::int64_t n = sqlite3_column_int64(s, 1);
    switch (status_from_string(sqlite::column_text(s, 0)).value_or(MessageStatus::error)) {
      case MessageStatus::received: out.received = n; break;
      case MessageStatus::processed: out.processed = n; break;
      case MessageStatus::error: out.error = n; break;
      case MessageStatus::rejected: out.rejected = n; break;
      case MessageStatus::duplicate: out.duplicate = n; break;
    }
    out.messages += n;
  }
  if (rc != SQLITE_DONE) {
    return fail(db_.get(), rc, "stats");
  }
  std::error_code ec;
  for (const char* suffix : {"", "-wal"}) {
    const auto size = fs::file_size(fs::path(file_.string() + suffix), ec);
    out.size_bytes += ec ? 0 : static_cast<std::int64_t>(size);
  }
  return out;
}

}  // namespace hisbridge::store
