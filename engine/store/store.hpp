#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.hpp"
#include "engine/store/delivery_queue.hpp"
#include "engine/store/error.hpp"
#include "engine/store/replay.hpp"

namespace hisbridge::store {

// Where a stored message is in its life. `received` is the only state processing picks up.
enum class MessageStatus { received, processed, error, rejected, duplicate };

std::string_view to_string(MessageStatus status);
std::optional<MessageStatus> status_from_string(std::string_view text);

// A message as ingest received it, before it has an id. Times are microseconds since the Unix
// epoch (UTC): one integer compares and indexes the same way in SQLite and PostgreSQL.
struct NewMessage {
  std::string raw;                  // the bytes exactly as received, before any transcoding
  std::int64_t received_at_us = 0;
  std::string source;               // the listener (channel source) name, e.g. "lis"
  std::string peer;                 // remote address, "10.1.2.3:51234"
  std::string control_id;           // MSH-10
  std::string sending_application;  // MSH-3
  std::string sending_facility;     // MSH-4
  std::string message_type;         // MSH-9 code^trigger, e.g. "ORU^R01"
  std::string patient_id;           // PID-3 CX-1 of the first repetition, for search
  MessageStatus status = MessageStatus::received;  // `rejected` for what could not be read
  std::string error;                // why, for rejected and error
  // Left to Store::prepare(): `raw` in the form the store keeps it in (SqliteStore: zstd),
  // `stored_format` saying which; empty until prepared. `raw` itself stays as received.
  std::string stored_raw;
  int stored_format = 0;
};

struct StoredMessage {
  std::int64_t id = 0;
  NewMessage message;
  std::int64_t updated_at_us = 0;
  std::int64_t duplicate_of = 0;  // for status `duplicate`: the id of the first one, else 0
};

// The outcome of appending one message.
struct Appended {
  std::int64_t id = 0;
  // Status `duplicate`: the same (sending application, sending facility, control id) had been
  // stored within the duplicate window; `duplicate_of` is the id of the first one.
  bool duplicate = false;
  std::int64_t duplicate_of = 0;
  // Not a duplicate although the key was seen within the window: the bytes differ from every
  // message stored under it (a sender that reused its control ids, after a restart of its
  // counter, say). Stored `received` and processed like any new message; this is the id of
  // the first message stored under the key, for the warning. 0 otherwise.
  std::int64_t reuses_key_of = 0;
};

// A message's next state, for Store::set_statuses().
struct StatusUpdate {
  std::int64_t id = 0;
  MessageStatus status = MessageStatus::processed;
  std::string error;  // why, for `error`; empty otherwise
  // The destination queue entries the message gets, in the same transaction (pending, due at
  // once). A queue that already holds a pending entry for the message gets no second one.
  std::vector<NewDelivery> deliveries{};
};

// Search over stored messages; every set member narrows, results newest first.
struct MessageQuery {
  std::optional<std::int64_t> from_us;  // received_at >= from
  std::optional<std::int64_t> to_us;    // received_at < to
  std::optional<std::string> message_type;  // "ORU^R01", or "ORU" for every trigger
  std::optional<std::string> control_id;
  std::optional<std::string> patient_id;
  std::optional<MessageStatus> status;
  std::optional<std::string> source;
  std::optional<std::int64_t> before_id;  // paging: ids below this one
  std::size_t limit = 100;
};

struct StoreStats {
  std::int64_t messages = 0;
  std::int64_t received = 0;
  std::int64_t processed = 0;
  std::int64_t error = 0;
  std::int64_t rejected = 0;
  std::int64_t duplicate = 0;
  std::int64_t size_bytes = 0;  // the database's size on disk
};

// The message journal. Every implementation makes the same promises (one contract test suite
// runs against each):
// - append() returns only after the transaction holding the whole batch is durable (fsync'ed
//   / committed with synchronous commit). An ACK may be sent as soon as it returns.
// - Ids grow in append order; pending() gives received messages of a source in that order,
//   which is what processing resumes from after a crash.
// - Calls on one Store object come from one thread at a time (the store's own executor), but
//   for sync(); open a second Store on the same database for readers such as the admin API.
// - Failures are StoreError values (busy, io, ...); the driver's text goes to the log.
// - Header fields go into text columns: bytes that are not UTF-8 (and NUL bytes) are stored as
//   U+FFFD there. `raw` is always stored and returned byte for byte.
class Store {
 public:
  virtual ~Store() = default;

  // Stores the whole batch in one transaction; the result has one Appended per message, in
  // batch order. On failure nothing of the batch is stored.
  // Duplicates: a message with a non-empty control id and status `received` is stored as
  // `duplicate` when an earlier message (earlier in the same batch included) with the same
  // (sending application, sending facility, control id), not itself rejected or a duplicate,
  // was received within `duplicate_window_us` before it (its received_at_us in
  // [received_at_us - window, received_at_us]). A window <= 0 turns the check off.
  virtual Result<std::vector<Appended>> append(std::span<const NewMessage> batch,
                                               std::int64_t duplicate_window_us) = 0;
  // append() in two halves, so that group commit can overlap one batch's wait for the disk
  // with the work on the next: append_unsynced() commits the batch (other connections see
  // it) without waiting for the disk, and sync() makes every batch committed before the call
  // durable. Until such a sync() has returned, a crash may lose the batch. The defaults, for
  // stores that cannot split the two, wait in append_unsynced() and make sync() a no-op.
  virtual Result<std::vector<Appended>> append_unsynced(std::span<const NewMessage> batch,
                                                        std::int64_t duplicate_window_us) {
    return append(batch, duplicate_window_us);
  }
  // The one call that may run on another thread while a call on the store is under way.
  virtual Result<void> sync() { return {}; }
  // Messages of `source` with status `received` and an id above `after_id`, oldest first.
  virtual Result<std::vector<StoredMessage>> pending(std::string_view source,
                                                     std::int64_t after_id,
                                                     std::size_t limit) = 0;
  // Sets status, error text and updated_at; StoreError::not_found for an unknown id.
  virtual Result<void> set_status(std::int64_t id, MessageStatus status,
                                  std::string_view error) = 0;
  // The same for many messages in one transaction: every update or, on failure, none
  // (StoreError::not_found when an id is unknown). An id may appear more than once; the last
  // update wins. What processing writes after the ACK, so it is not forced to disk on its own:
  // it becomes durable with the next append() or sync() on the same database, which wait for
  // the disk and cover every earlier commit (the WAL is one sequence), or when the database
  // flushes by itself. After a crash a message may therefore be `received` again and be processed a
  // second time, which processing must tolerate in any case (the crash can come between the
  // processing and the status).
  virtual Result<void> set_statuses(std::span<const StatusUpdate> updates) = 0;
  // Work on one message that needs no connection, done before the message is queued for
  // append() (GroupCommitter calls it on the submitting thread, so the adapters' threads do it
  // side by side and the writer spends its time on the database). Thread-safe, and touches
  // nothing but `message`: it may fill stored_raw. append() works on unprepared messages too.
  virtual void prepare(NewMessage& message) const { (void)message; }
  // StoreError::not_found for an unknown id.
  virtual Result<StoredMessage> get(std::int64_t id) = 0;
  virtual Result<std::vector<StoredMessage>> find(const MessageQuery& query) = 0;
  virtual Result<StoreStats> stats() = 0;
  // Retention: deletes up to `limit` of the oldest messages (by received_at_us, then id)
  // received before `received_before_us` whose status is final (processed, error, rejected,
  // duplicate), in one short transaction, and returns how many it deleted. A `received`
  // message is never deleted, however old: processing has not had it yet, so pending() is
  // untouched. stats() counts stay exact (the counts move in the same transaction). Ids keep
  // growing in append order after a prune: an id is never handed out twice (SqliteStore keeps
  // the newest message for that).
  // A pruned message no longer counts as an original for append()'s duplicate check: a
  // repeat arriving after it was pruned is stored as a new message. That is expected, since
  // the duplicate window is meant to be much shorter than the retention age.
  // The default, for stores that keep everything (test doubles), deletes nothing.
  // A message that still has a pending delivery queue entry is kept, however old; the queue
  // entries of a deleted message go with it.
  virtual Result<std::size_t> prune(std::int64_t received_before_us, std::size_t limit) {
    (void)received_before_us;
    (void)limit;
    return std::size_t{0};
  }
  // Retention by size: the bytes the journal's live rows take, which is what
  // store.retention.max_size bounds. Unlike StoreStats::size_bytes (the files on disk), it
  // falls as soon as a prune commits, before any space goes back to the file system.
  // SqliteStore: the pages in use (the file minus its free list). PostgresStore: an estimate,
  // since PostgreSQL keeps the freed space inside its files for reuse: the messages times the
  // mean stored size of the newest thousand, scaled by the table's index-to-table ratio, plus
  // the queue table as it is. The default (test doubles) fails with StoreError::unavailable.
  virtual Result<std::int64_t> data_bytes() { return StoreError::unavailable; }

  // ---- Destination queues (delivery_queue.hpp). Entries are written by set_statuses(). ----
  // The defaults, for test doubles, fail with StoreError::unavailable.

  // Up to `limit` pending entries of `queue` that are due (next_attempt_us <= now_us) and that
  // no earlier pending entry with the same order key waits in front of (one not yet due),
  // oldest first. When an entry is returned, so is every earlier pending entry of its key.
  virtual Result<std::vector<QueuedDelivery>> due_deliveries(std::string_view queue,
                                                             std::int64_t now_us,
                                                             std::size_t limit) {
    (void)queue, (void)now_us, (void)limit;
    return StoreError::unavailable;
  }
  // Writes the outcomes of delivery attempts in one transaction (not forced to disk on its own,
  // as set_statuses: after a crash an entry may be pending again and be delivered a second
  // time, which the destinations' idempotent writes absorb). An unknown id is skipped (pruned
  // meanwhile).
  virtual Result<void> update_deliveries(std::span<const DeliveryUpdate> updates) {
    (void)updates;
    return StoreError::unavailable;
  }
  // Every queue that has pending or dead entries, in name order.
  virtual Result<std::vector<QueueDepth>> queue_depths() { return StoreError::unavailable; }
  // The queue entries of one message, oldest first.
  virtual Result<std::vector<QueuedDelivery>> deliveries_of(std::int64_t message_id) {
    (void)message_id;
    return StoreError::unavailable;
  }

  // ---- Replay (replay.hpp). Each call is one short transaction, durable when it returns;
  // the router picks `received` messages up again, the delivery workers pending entries. ----
  // The defaults, for test doubles, fail with StoreError::unavailable.

  // Sets every message of `ids` whose status is `processed` or `error` back to `received`,
  // its error text cleared and the status counts moved, in one transaction; returns how many
  // changed. Unknown ids and messages in another status are left as they are (an id given
  // twice counts once). The message's queue entries stay as they are: processing it again
  // queues it anew, but not in a queue that still holds a pending entry for it.
  virtual Result<std::size_t> reprocess(std::span<const std::int64_t> ids) {
    (void)ids;
    return StoreError::unavailable;
  }
  // One step of the same over a range: up to `limit` messages of range.source received in
  // [from_us, to_us) with status `processed` or `error`, in (received_at_us, id) order, those
  // received at exactly from_us only when their id is above `after_id`. The next step passes
  // the result's last_at_us as range.from_us and its last_id as `after_id`; a message this
  // walk has passed is not taken again, even when it is processed again meanwhile.
  virtual Result<ReplayBatch> reprocess_range(const ReprocessRange& range,
                                              std::int64_t after_id, std::size_t limit) {
    (void)range, (void)after_id, (void)limit;
    return StoreError::unavailable;
  }
  // How many messages reprocess_range() would take from the start (for progress).
  virtual Result<std::size_t> count_reprocessable(const ReprocessRange& range) {
    (void)range;
    return StoreError::unavailable;
  }
  // One step of sending the dead letters of `queue` again: up to `limit` dead entries with an
  // id above `after_id`, lowest first, become pending, due at once, with 0 attempts; their
  // last error stays until the next attempt replaces it. An entry whose message already has a
  // pending entry in the queue stays dead (as do the later dead entries of a message whose
  // earlier one this call makes pending): the message is on its way already.
  virtual Result<ReplayBatch> requeue_dead(std::string_view queue, std::int64_t after_id,
                                           std::size_t limit) {
    (void)queue, (void)after_id, (void)limit;
    return StoreError::unavailable;
  }
  // Adds a row to the audit log, stamped with the time now; durable when it returns.
  virtual Result<void> append_audit(const NewAuditEntry& entry) {
    (void)entry;
    return StoreError::unavailable;
  }
  // The newest `limit` rows of the audit log, newest first. Retention leaves the log alone.
  virtual Result<std::vector<AuditEntry>> audit(std::size_t limit) {
    (void)limit;
    return StoreError::unavailable;
  }
};

}  // namespace hisbridge::store
