#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "engine/store/raw_codec.hpp"
#include "engine/store/sqlite_db.hpp"
#include "engine/store/store.hpp"

namespace hisbridge::store {

struct SqliteOptions {
  // How long a call waits for another connection's lock before it fails with StoreError::busy.
  int busy_timeout_ms = 5000;
  // Database page size; only takes effect when the file is created. A 2 KiB message fills a
  // 4 KiB page on its own (two do not fit), so 4 KiB pages write twice the bytes of the
  // messages; 8 KiB pages hold three. Larger pages pack still better but make every index page
  // a commit touches at random (the patient index) costlier. Measured with store_bench:
  // 8 KiB and 16 KiB pages append 1.3-2x faster than 4 KiB in batches of 256-1000.
  int page_size = 8192;
  // The connection's page cache, in KiB.
  int cache_size_kib = 32 * 1024;
  // A commit that leaves more WAL pages than this copies them back into the database file
  // (a checkpoint). Larger values mean fewer, longer checkpoints and a larger WAL file.
  int wal_autocheckpoint_pages = 4096;  // 32 MiB with 8 KiB pages
  // zstd level for `raw` (raw_codec.hpp); 0 stores every message as received. At -3 a
  // 2 KiB ORU^R01 takes ~1.2 KB for ~3 us of CPU on the submitting thread, six rows fit a
  // page instead of three, and the single writer writes and copies back fewer pages: +7% in
  // ingest_bench's 8 x 16 on 2 cores. Level 1 packs tighter (~950 bytes) but its ~8 us cost
  // more than they saved there (docs/performance.md).
  int raw_compression_level = -3;
};

// The journal in one SQLite file, in WAL mode. append() runs at synchronous=FULL: it returns
// after the WAL holding the batch is fsync'ed, one fsync per batch. append_unsynced() and
// set_statuses() commit at synchronous=NORMAL, without an fsync of their own; sync() is an
// fdatasync of the WAL on a descriptor of its own, so it may run on another thread while the
// connection goes on with the next batch (Store contract).
// The other files SQLite keeps beside it (`-wal`, `-shm`) belong to it and must be copied
// with it.
//
// One SqliteStore is one connection: calls come from one thread at a time (Store contract).
// Several SqliteStore objects may open the same file (one writer at a time; readers run
// alongside the writer and see committed data).
class SqliteStore final : public Store {
 public:
  // Opens `file`, creating it and its parent folders when missing, and creates or migrates the
  // schema. Fails with StoreError::unavailable when the file cannot be opened or created and
  // StoreError::corrupt when it is damaged or is some other database.
  static Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& file,
                                                   const SqliteOptions& options = {});

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Result<std::vector<Appended>> append(std::span<const NewMessage> batch,
                                       std::int64_t duplicate_window_us) override;
  Result<std::vector<Appended>> append_unsynced(std::span<const NewMessage> batch,
                                                std::int64_t duplicate_window_us) override;
  Result<void> sync() override;
  // Compresses `raw` (SqliteOptions::raw_compression_level) into stored_raw.
  void prepare(NewMessage& message) const override;
  Result<std::vector<StoredMessage>> pending(std::string_view source, std::int64_t after_id,
                                             std::size_t limit) override;
  Result<void> set_status(std::int64_t id, MessageStatus status,
                          std::string_view error) override;
  Result<void> set_statuses(std::span<const StatusUpdate> updates) override;
  Result<StoredMessage> get(std::int64_t id) override;
  Result<std::vector<StoredMessage>> find(const MessageQuery& query) override;
  Result<StoreStats> stats() override;
  // Deletes one batch (Store contract), then hands up to kVacuumPages free pages back to the
  // file system (PRAGMA incremental_vacuum) in a second short transaction, so neither holds
  // the write lock long. A file created before the journal used auto_vacuum=INCREMENTAL
  // keeps its free pages for reuse and does not shrink; that is logged once.
  Result<std::size_t> prune(std::int64_t received_before_us, std::size_t limit) override;
  Result<std::int64_t> data_bytes() override;
  Result<std::vector<QueuedDelivery>> due_deliveries(std::string_view queue, std::int64_t now_us,
                                                     std::size_t limit) override;
  Result<void> update_deliveries(std::span<const DeliveryUpdate> updates) override;
  Result<std::vector<QueuedDelivery>> deliveries_of(std::int64_t message_id) override;
  Result<std::vector<QueueDepth>> queue_depths() override;
  // Replay (sqlite_store_replay.cpp): each call one transaction at synchronous=FULL.
  Result<std::size_t> reprocess(std::span<const std::int64_t> ids) override;
  Result<ReplayBatch> reprocess_range(const ReprocessRange& range, std::int64_t after_id,
                                      std::size_t limit) override;
  Result<std::size_t> count_reprocessable(const ReprocessRange& range) override;
  Result<ReplayBatch> requeue_dead(std::string_view queue, std::int64_t after_id,
                                   std::size_t limit) override;
  Result<void> append_audit(const NewAuditEntry& entry) override;
  Result<std::vector<AuditEntry>> audit(std::size_t limit) override;

  // Free pages released per prune batch: a batch of 500 messages frees fewer than this.
  static constexpr int kVacuumPages = 256;

  const std::filesystem::path& file() const { return file_; }

 private:
  // Header fields of NewMessage that go into text columns, cleaned (text.hpp).
  enum Field : std::size_t {
    kSource, kPeer, kControlId, kApplication, kFacility, kType, kPatient, kError, kFields
  };
  using Fields = std::array<std::string_view, kFields>;

  SqliteStore(std::filesystem::path file, sqlite::Db db, const SqliteOptions& options);
  Result<void> prepare_statements();

  Fields clean_fields(const NewMessage& m);
  // The first message stored within the window under the message's key with the same stored
  // bytes, else the first under the key; id 0 when there is none.
  struct Original {
    std::int64_t id = 0;
    bool same_bytes = false;
  };
  Result<Original> find_original(const Fields& f, std::int64_t received_at_us,
                                 std::int64_t window_us, std::string_view stored,
                                 RawFormat format);
  Result<std::int64_t> insert(const NewMessage& m, const Fields& f, MessageStatus status,
                              std::int64_t duplicate_of, std::string_view stored,
                              RawFormat format, std::int64_t now_us);
  Result<void> add_count(MessageStatus status, std::int64_t delta);
  Result<void> append_rows(std::span<const NewMessage> batch, std::int64_t window_us,
                           std::vector<Appended>& out);
  Result<void> change_status(std::int64_t id, MessageStatus status, std::string_view error,
                             std::int64_t now, std::array<std::int64_t, 5>& deltas);
  Result<void> change_statuses(std::span<const StatusUpdate> updates);
  Result<void> use_full_sync(bool full);
  Result<std::vector<Appended>> append_batch(std::span<const NewMessage> batch,
                                             std::int64_t window_us, bool wait);
  Result<void> commit_or_rollback(Result<void> work);
  Result<std::vector<StoredMessage>> read_rows(sqlite3_stmt* s, std::size_t expected,
                                               std::string_view what);
  Result<std::size_t> delete_oldest(std::int64_t received_before_us, std::size_t limit);
  Result<void> release_free_pages();
  Result<void> insert_deliveries(const StatusUpdate& update, std::int64_t now_us);
  // The statement `sql` kept in `slot`, prepared at its first use: only the connection that
  // runs a kind of call pays for its statements.
  Result<sqlite3_stmt*> kept(sqlite::Statement& slot, const char* sql);
  Result<std::vector<QueuedDelivery>> read_deliveries(sqlite3_stmt* s, std::string_view what);
  // Sets one message back to `received` when it is processed or error, counting it in
  // `changed`.
  Result<void> reprocess_one(std::int64_t id, std::int64_t now,
                             std::array<std::int64_t, 5>& deltas, std::size_t& changed);
  Result<void> reprocess_ids(std::span<const std::int64_t> ids, std::size_t& changed);
  Result<void> range_step(const ReprocessRange& range, std::int64_t after_id, std::size_t limit,
                          ReplayBatch& out);
  Result<void> requeue_step(std::string_view queue, std::int64_t after_id, std::size_t limit,
                            ReplayBatch& out);
  // BEGIN IMMEDIATE at synchronous=FULL, `work`, then commit_or_rollback().
  template <class Work>
  Result<void> in_durable_transaction(Work&& work);

  std::filesystem::path file_;
  sqlite::Db db_;
  sqlite::Statement begin_;
  sqlite::Statement commit_;
  sqlite::Statement rollback_;
  sqlite::Statement find_original_;
  sqlite::Statement insert_;
  sqlite::Statement add_count_;
  sqlite::Statement get_;
  sqlite::Statement pending_;
  sqlite::Statement status_of_;
  sqlite::Statement update_status_;
  sqlite::Statement update_received_;
  sqlite::Statement counts_;
  sqlite::Statement prune_;  // prepared at the first prune(): only the pruner's connection
  sqlite::Statement prune_deliveries_;
  sqlite::Statement insert_delivery_;
  sqlite::Statement due_deliveries_;
  sqlite::Statement update_delivery_;
  sqlite::Statement deliveries_of_;
  sqlite::Statement queue_depths_;
  sqlite::Statement range_step_;  // the replay's, prepared at their first use
  sqlite::Statement count_reprocessable_;
  sqlite::Statement dead_step_;
  sqlite::Statement requeue_;
  sqlite::Statement insert_audit_;
  sqlite::Statement audit_;
  int auto_vacuum_ = -1;     // PRAGMA auto_vacuum, read at the first prune()
  bool full_sync_ = true;  // the connection runs at synchronous=FULL (else NORMAL)
  int wal_fd_ = -1;        // sync()'s own descriptor of the WAL, opened at the first sync()
  std::array<std::string, kFields> scratch_;  // cleaned copies, reused from row to row
  const int compression_level_;
  RawCodec codec_;
  std::string packed_;  // a compressed `raw` of an unprepared message, reused from row to row
};

}  // namespace hisbridge::store
