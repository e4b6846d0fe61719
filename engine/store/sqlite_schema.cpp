#include "engine/store/sqlite_schema.hpp"

#include <spdlog/spdlog.h>

#include "engine/store/sqlite_db.hpp"

namespace hisbridge::store::sqlite {
namespace {

// Version 1. `raw` comes last so reading the small columns never walks its overflow pages
// (raw_format, added by version 2, is read only together with raw).
// Ids are the rowid without AUTOINCREMENT: retention never deletes the newest row
// (SqliteStore::prune), so the largest id only grows, and no sqlite_sequence row is updated
// per insert.
constexpr const char* kCreateV1 = R"sql(
CREATE TABLE hisbridge_schema(version INTEGER NOT NULL);
CREATE TABLE hisbridge_messages(
  id INTEGER PRIMARY KEY,
  received_at_us INTEGER NOT NULL,
  updated_at_us INTEGER NOT NULL,
  source TEXT NOT NULL,
  peer TEXT NOT NULL,
  control_id TEXT NOT NULL,
  sending_application TEXT NOT NULL,
  sending_facility TEXT NOT NULL,
  message_type TEXT NOT NULL,
  patient_id TEXT NOT NULL,
  status TEXT NOT NULL,
  error TEXT NOT NULL,
  duplicate_of INTEGER NOT NULL DEFAULT 0,
  raw BLOB NOT NULL
);
CREATE INDEX hisbridge_messages_duplicate
  ON hisbridge_messages(control_id, sending_application, sending_facility, received_at_us);
CREATE INDEX hisbridge_messages_pending
  ON hisbridge_messages(source, id) WHERE status = 'received';
CREATE INDEX hisbridge_messages_received_at ON hisbridge_messages(received_at_us);
CREATE INDEX hisbridge_messages_patient ON hisbridge_messages(patient_id);
CREATE TABLE hisbridge_counts(status TEXT PRIMARY KEY, messages INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO hisbridge_counts(status, messages) VALUES
  ('received', 0), ('processed', 0), ('error', 0), ('rejected', 0), ('duplicate', 0);
INSERT INTO hisbridge_schema(version) VALUES(1);
)sql";

// Version 2: `raw` may be stored compressed (RawFormat); rows of version 1 read as stored.
constexpr const char* kMigrateV1ToV2 = R"sql(
ALTER TABLE hisbridge_messages ADD COLUMN raw_format INTEGER NOT NULL DEFAULT 0;
UPDATE hisbridge_schema SET version = 2;
)sql";

// Version 3: the destination queues (delivery_queue.hpp). Ids without AUTOINCREMENT: a new
// entry's id is above every entry left, which is all the order of a queue needs; retention
// deletes only delivered and dead entries.
constexpr const char* kMigrateV2ToV3 = R"sql(
CREATE TABLE hisbridge_deliveries(
  id INTEGER PRIMARY KEY,
  message_id INTEGER NOT NULL,
  queue TEXT NOT NULL,
  order_key TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_us INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  created_at_us INTEGER NOT NULL,
  updated_at_us INTEGER NOT NULL
);
CREATE INDEX hisbridge_deliveries_queue ON hisbridge_deliveries(queue, state, id);
CREATE INDEX hisbridge_deliveries_order
  ON hisbridge_deliveries(queue, order_key, id) WHERE state = 'pending';
CREATE UNIQUE INDEX hisbridge_deliveries_once
  ON hisbridge_deliveries(queue, message_id) WHERE state = 'pending';
CREATE INDEX hisbridge_deliveries_message ON hisbridge_deliveries(message_id);
UPDATE hisbridge_schema SET version = 3;
)sql";

// Version 4: the audit log of replays (replay.hpp). Retention leaves it alone: it grows by a
// row per operator action.
constexpr const char* kMigrateV3ToV4 = R"sql(
CREATE TABLE hisbridge_audit(
  id INTEGER PRIMARY KEY,
  at_us INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  detail TEXT NOT NULL
);
UPDATE hisbridge_schema SET version = 4;
)sql";

// -1 when the query returns no row.
Result<std::int64_t> query_int(sqlite3* db, std::string_view sql) {
  auto statement = prepare(db, sql);
  if (!statement) {
    return statement.error();
  }
  const int rc = sqlite3_step(statement->get());
  if (rc == SQLITE_ROW) {
    return sqlite3_column_int64(statement->get(), 0);
  }
  if (rc == SQLITE_DONE) {
    return -1;
  }
  return fail(db, rc, "read schema");
}

Result<void> create_or_migrate(sqlite3* db) {
  auto has_schema = query_int(
      db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'hisbridge_schema'");
  if (!has_schema) {
    return has_schema.error();
  }
  if (*has_schema == 0) {
    auto tables = query_int(db, "SELECT count(*) FROM sqlite_master");
    if (!tables) {
      return tables.error();
    }
    if (*tables != 0) {
      spdlog::error("store: the database holds other tables and no hisbridge journal; refusing it");
      return StoreError::corrupt;
    }
    if (auto created = exec(db, kCreateV1); !created) {
      return created;
    }
  }
  auto version = query_int(db, "SELECT version FROM hisbridge_schema");
  if (!version) {
    return version.error();
  }
  // Each step moves one version forward; later versions add theirs below.
  if (*version == 1) {
    if (auto migrated = exec(db, kMigrateV1ToV2); !migrated) {
      return migrated;
    }
    *version = 2;
  }
  if (*version == 2) {
    if (auto migrated = exec(db, kMigrateV2ToV3); !migrated) {
      return migrated;
    }
    *version = 3;
  }
  if (*version == 3) {
    if (auto migrated = exec(db, kMigrateV3ToV4); !migrated) {
      return migrated;
    }
    *version = 4;
  }
  if (*version == kSchemaVersion) {
    return {};
  }
  spdlog::error("store: journal schema version {} is not one this build knows (it knows {})",
                *version, kSchemaVersion);
  return StoreError::corrupt;
}

}  // namespace

Result<void> ensure_schema(sqlite3* db) {
  if (auto begun = exec(db, "BEGIN IMMEDIATE"); !begun) {
    return begun;
  }
  auto done = create_or_migrate(db);
  if (!done) {
    exec(db, "ROLLBACK");
    return done;
  }
  return exec(db, "COMMIT");
}

bool read_message(sqlite3_stmt* s, StoredMessage& out, RawCodec& codec) {
  out.id = sqlite3_column_int64(s, 0);
  NewMessage& m = out.message;
  m.received_at_us = sqlite3_column_int64(s, 1);
  out.updated_at_us = sqlite3_column_int64(s, 2);
  m.source = column_text(s, 3);
  m.peer = column_text(s, 4);
  m.control_id = column_text(s, 5);
  m.sending_application = column_text(s, 6);
  m.sending_facility = column_text(s, 7);
  m.message_type = column_text(s, 8);
  m.patient_id = column_text(s, 9);
  m.status = status_from_string(column_text(s, 10)).value_or(MessageStatus::error);
  m.error = column_text(s, 11);
  out.duplicate_of = sqlite3_column_int64(s, 12);
  const auto format = static_cast<RawFormat>(sqlite3_column_int(s, 14));
  return codec.decode(column_blob(s, 13), format, m.raw);
}

void read_delivery(sqlite3_stmt* s, QueuedDelivery& out) {
  out.id = sqlite3_column_int64(s, 0);
  out.message_id = sqlite3_column_int64(s, 1);
  out.queue = column_text(s, 2);
  out.order_key = column_text(s, 3);
  out.state = delivery_state_from_string(column_text(s, 4)).value_or(DeliveryState::dead);
  out.attempts = sqlite3_column_int64(s, 5);
  out.next_attempt_us = sqlite3_column_int64(s, 6);
  out.last_error = column_text(s, 7);
  out.created_at_us = sqlite3_column_int64(s, 8);
  out.updated_at_us = sqlite3_column_int64(s, 9);
}

}  // namespace hisbridge::store::sqlite
