#include "engine/store/postgres_schema.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <string>

#include "engine/store/pg_connection.hpp"

namespace hisbridge::store::pg {
namespace {

// Version 1. toast_tuple_target keeps rows up to about 8 KiB in the table page, uncompressed:
// compressing every 2 KiB message on the ingest path costs more than the space it saves.
constexpr const char* kCreateV1 = R"sql(
CREATE TABLE hisbridge_schema(version integer NOT NULL);
CREATE TABLE hisbridge_messages(
  id bigserial PRIMARY KEY,
  received_at_us bigint NOT NULL,
  updated_at_us bigint NOT NULL,
  source text NOT NULL,
  peer text NOT NULL,
  control_id text NOT NULL,
  sending_application text NOT NULL,
  sending_facility text NOT NULL,
  message_type text NOT NULL,
  patient_id text NOT NULL,
  status text NOT NULL,
  error text NOT NULL,
  duplicate_of bigint NOT NULL DEFAULT 0,
  raw bytea NOT NULL
) WITH (toast_tuple_target = 8160);
CREATE INDEX hisbridge_messages_duplicate
  ON hisbridge_messages(control_id, sending_application, sending_facility, received_at_us);
CREATE INDEX hisbridge_messages_pending
  ON hisbridge_messages(source, id) WHERE status = 'received';
CREATE INDEX hisbridge_messages_received_at ON hisbridge_messages(received_at_us);
CREATE INDEX hisbridge_messages_patient ON hisbridge_messages(patient_id);
CREATE TABLE hisbridge_counts(status text PRIMARY KEY, messages bigint NOT NULL);
INSERT INTO hisbridge_counts(status, messages) VALUES
  ('received', 0), ('processed', 0), ('error', 0), ('rejected', 0), ('duplicate', 0);
INSERT INTO hisbridge_schema(version) VALUES(1);
)sql";

// Version 2: the destination queues (delivery_queue.hpp), as in the SQLite journal.
constexpr const char* kMigrateV1ToV2 = R"sql(
CREATE TABLE hisbridge_deliveries(
  id bigserial PRIMARY KEY,
  message_id bigint NOT NULL,
  queue text NOT NULL,
  order_key text NOT NULL,
  state text NOT NULL,
  attempts bigint NOT NULL DEFAULT 0,
  next_attempt_us bigint NOT NULL DEFAULT 0,
  last_error text NOT NULL DEFAULT '',
  created_at_us bigint NOT NULL,
  updated_at_us bigint NOT NULL
);
CREATE INDEX hisbridge_deliveries_queue ON hisbridge_deliveries(queue, state, id);
CREATE INDEX hisbridge_deliveries_order
  ON hisbridge_deliveries(queue, order_key, id) WHERE state = 'pending';
CREATE UNIQUE INDEX hisbridge_deliveries_once
  ON hisbridge_deliveries(queue, message_id) WHERE state = 'pending';
CREATE INDEX hisbridge_deliveries_message ON hisbridge_deliveries(message_id);
UPDATE hisbridge_schema SET version = 2;
)sql";

// Version 3: the audit log of replays (replay.hpp), as in the SQLite journal.
constexpr const char* kMigrateV2ToV3 = R"sql(
CREATE TABLE hisbridge_audit(
  id bigserial PRIMARY KEY,
  at_us bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  detail text NOT NULL
);
UPDATE hisbridge_schema SET version = 3;
)sql";

// Any constant: the key of the advisory lock held while the schema is checked.
constexpr const char* kLock = "SELECT pg_advisory_xact_lock(7521907138476630017)";

Result<void> create_or_migrate(PGconn* conn) {
  if (auto locked = exec(conn, kLock, PGRES_TUPLES_OK, "lock schema"); !locked) {
    return locked.error();
  }
  auto found = exec(conn, "SELECT to_regclass('hisbridge_schema') IS NOT NULL", PGRES_TUPLES_OK,
                    "read schema");
  if (!found) {
    return found.error();
  }
  if (std::string_view(PQgetvalue(found->get(), 0, 0)) != "t") {
    if (auto created = exec(conn, kCreateV1, PGRES_COMMAND_OK, "create schema"); !created) {
      return created.error();
    }
  }
  auto version = exec(conn, "SELECT version FROM hisbridge_schema", PGRES_TUPLES_OK,
                      "read schema version");
  if (!version) {
    return version.error();
  }
  int v = PQntuples(version->get()) == 1 ? std::atoi(PQgetvalue(version->get(), 0, 0)) : 0;
  // Each step moves one version forward; later versions add theirs below.
  if (v == 1) {
    if (auto migrated = exec(conn, kMigrateV1ToV2, PGRES_COMMAND_OK, "migrate to 2"); !migrated) {
      return migrated.error();
    }
    v = 2;
  }
  if (v == 2) {
    if (auto migrated = exec(conn, kMigrateV2ToV3, PGRES_COMMAND_OK, "migrate to 3"); !migrated) {
      return migrated.error();
    }
    v = 3;
  }
  if (v == kSchemaVersion) {
    return {};
  }
  spdlog::error("store: journal schema version {} is not one this build knows (it knows {})", v,
                kSchemaVersion);
  return StoreError::corrupt;
}

}  // namespace

Result<void> ensure_schema(PGconn* conn) {
  if (auto begun = exec(conn, "BEGIN", PGRES_COMMAND_OK, "begin"); !begun) {
    return begun.error();
  }
  auto done = create_or_migrate(conn);
  if (!done) {
    (void)exec(conn, "ROLLBACK", PGRES_COMMAND_OK, "rollback");
    return done;
  }
  auto committed = exec(conn, "COMMIT", PGRES_COMMAND_OK, "commit schema");
  return committed ? Result<void>() : Result<void>(committed.error());
}

void read_message(const PGresult* r, int row, StoredMessage& out) {
  out.id = cell_int8(r, row, 0);
  NewMessage& m = out.message;
  m.received_at_us = cell_int8(r, row, 1);
  out.updated_at_us = cell_int8(r, row, 2);
  m.source = cell(r, row, 3);
  m.peer = cell(r, row, 4);
  m.control_id = cell(r, row, 5);
  m.sending_application = cell(r, row, 6);
  m.sending_facility = cell(r, row, 7);
  m.message_type = cell(r, row, 8);
  m.patient_id = cell(r, row, 9);
  m.status = status_from_string(cell(r, row, 10)).value_or(MessageStatus::error);
  m.error = cell(r, row, 11);
  out.duplicate_of = cell_int8(r, row, 12);
  m.raw = cell(r, row, 13);
}

void read_delivery(const PGresult* r, int row, QueuedDelivery& out) {
  out.id = cell_int8(r, row, 0);
  out.message_id = cell_int8(r, row, 1);
  out.queue = cell(r, row, 2);
  out.order_key = cell(r, row, 3);
  out.state = delivery_state_from_string(cell(r, row, 4)).value_or(DeliveryState::dead);
  out.attempts = cell_int8(r, row, 5);
  out.next_attempt_us = cell_int8(r, row, 6);
  out.last_error = cell(r, row, 7);
  out.created_at_us = cell_int8(r, row, 8);
  out.updated_at_us = cell_int8(r, row, 9);
}

}  // namespace hisbridge::store::pg
