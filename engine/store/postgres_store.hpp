#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/store/pg_connection.hpp"
#include "engine/store/pg_row_arrays.hpp"
#include "engine/store/store.hpp"

namespace hisbridge::store {

struct PostgresOptions {
  // Seconds to wait for a connection; the connection string's own setting wins.
  int connect_timeout_s = 10;
  // Milliseconds unacknowledged data may wait on a silent network before the connection is
  // dropped (TCP_USER_TIMEOUT), so a call fails instead of hanging.
  int tcp_user_timeout_ms = 30000;
};

// The journal in PostgreSQL through libpq. append() sends BEGIN, the batch as one
// INSERT ... SELECT FROM unnest(binary arrays) (more only when a control id repeats inside the
// batch) and COMMIT in pipeline mode: one round trip and one statement per batch; it returns
// after COMMIT has returned; the session runs with synchronous_commit on (raised
// from `off` if the server defaults to it). `raw` travels as binary bytea, byte for byte.
//
// A lost connection fails the call in progress with StoreError::unavailable (a commit whose
// answer was lost counts as failed: the sender retransmits and the duplicate check finds it),
// and the next call connects again.
//
// One PostgresStore is one connection: calls come from one thread at a time (Store contract).
class PostgresStore final : public Store {
 public:
  // `conninfo`: a libpq URI (postgresql://user@host:5432/db) or key=value string. Fails with
  // StoreError::bad_config when libpq cannot parse it and StoreError::unavailable when the
  // server cannot be reached; creates or migrates the schema.
  static Result<std::unique_ptr<PostgresStore>> open(std::string_view conninfo,
                                                     const PostgresOptions& options = {});

  ~PostgresStore() override = default;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  Result<std::vector<Appended>> append(std::span<const NewMessage> batch,
                                       std::int64_t duplicate_window_us) override;
  Result<std::vector<StoredMessage>> pending(std::string_view source, std::int64_t after_id,
                                             std::size_t limit) override;
  Result<void> set_status(std::int64_t id, MessageStatus status,
                          std::string_view error) override;
  Result<void> set_statuses(std::span<const StatusUpdate> updates) override;
  Result<StoredMessage> get(std::int64_t id) override;
  Result<std::vector<StoredMessage>> find(const MessageQuery& query) override;
  Result<StoreStats> stats() override;
  // One DELETE of a batch (Store contract); autovacuum reclaims the space.
  Result<std::size_t> prune(std::int64_t received_before_us, std::size_t limit) override;
  Result<std::int64_t> data_bytes() override;
  Result<std::vector<QueuedDelivery>> due_deliveries(std::string_view queue, std::int64_t now_us,
                                                     std::size_t limit) override;
  Result<void> update_deliveries(std::span<const DeliveryUpdate> updates) override;
  Result<std::vector<QueuedDelivery>> deliveries_of(std::int64_t message_id) override;
  Result<std::vector<QueueDepth>> queue_depths() override;
  // Replay (postgres_store_replay.cpp): each call one statement, committed when it returns.
  Result<std::size_t> reprocess(std::span<const std::int64_t> ids) override;
  Result<ReplayBatch> reprocess_range(const ReprocessRange& range, std::int64_t after_id,
                                      std::size_t limit) override;
  Result<std::size_t> count_reprocessable(const ReprocessRange& range) override;
  Result<ReplayBatch> requeue_dead(std::string_view queue, std::int64_t after_id,
                                   std::size_t limit) override;
  Result<void> append_audit(const NewAuditEntry& entry) override;
  Result<std::vector<AuditEntry>> audit(std::size_t limit) override;

 private:
  enum Field : std::size_t {
    kSource, kPeer, kControlId, kApplication, kFacility, kType, kPatient, kError, kFields
  };

  PostgresStore(std::string conninfo, const PostgresOptions& options);
  Result<void> connect();
  Result<void> prepare_statements();
  Result<void> prepare_queue_statements();
  Result<void> prepare_replay_statements();
  // Runs a prepared statement with binary parameters and results; fails unless it returns
  // rows.
  Result<pg::PgResult> query_prepared(const char* statement, int n_params,
                                      const char* const* values, const int* lengths,
                                      std::string_view what);
  // The queue entries of `updates`, inside set_statuses()'s transaction; `now` is binary int8.
  Result<void> insert_deliveries(PGconn* conn, std::span<const StatusUpdate> updates,
                                 const char* now);
  Result<std::vector<QueuedDelivery>> query_deliveries(const char* statement, int n_params,
                                                       const char* const* values,
                                                       const int* lengths, std::string_view what);
  Result<PGconn*> connection();
  boost::system::error_code failed(const PGresult* result, std::string_view what);

  std::size_t plan_rounds(std::span<const NewMessage> batch, std::int64_t window_us);
  Result<void> send_batch(PGconn* conn, std::size_t rounds);
  Result<void> read_batch(PGconn* conn, std::size_t rounds, std::vector<Appended>& out);
  Result<std::vector<Appended>> append_pipelined(PGconn* conn, std::span<const NewMessage> batch,
                                                 std::int64_t window_us);
  Result<std::vector<StoredMessage>> query_rows(const char* statement, int n_params,
                                                const char* const* values, const int* lengths,
                                                const int* formats, std::string_view what);

  std::string conninfo_;
  PostgresOptions options_;
  pg::Connection conn_;
  std::array<std::string, kFields> scratch_;  // cleaned copies, reused from row to row
  std::vector<pg::RowArrays> rounds_;         // reused from batch to batch
};

}  // namespace hisbridge::store
