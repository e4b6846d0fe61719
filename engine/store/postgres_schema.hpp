#pragma once

// The PostgreSQL journal's tables and how a row reads back: the same tables and columns as
// the SQLite journal (sqlite_schema.hpp), in PostgreSQL types.
#include <libpq-fe.h>

#include <string_view>

#include "engine/core/result.hpp"
#include "engine/store/store.hpp"

namespace hisbridge::store::pg {

inline constexpr int kSchemaVersion = 3;

// What every row read selects, in the order read_message() expects.
inline constexpr std::string_view kMessageColumns =
    "id, received_at_us, updated_at_us, source, peer, control_id, sending_application, "
    "sending_facility, message_type, patient_id, status, error, duplicate_of, raw";

// Creates the tables when absent and migrates older ones, in one transaction under an
// advisory lock, so several engine nodes starting together do not race. A schema version
// newer than this build knows is StoreError::corrupt. The tables go into the first schema of
// the connection's search_path.
Result<void> ensure_schema(PGconn* conn);

// Copies row `row` of a binary-format result selecting kMessageColumns into `out`.
void read_message(const PGresult* r, int row, StoredMessage& out);

// The same for a result selecting kDeliveryColumns (queue_sql.hpp).
void read_delivery(const PGresult* r, int row, QueuedDelivery& out);

}  // namespace hisbridge::store::pg
