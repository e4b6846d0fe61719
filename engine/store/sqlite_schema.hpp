#pragma once

// The SQLite journal's tables and how a row reads back. PostgresStore keeps the same tables and
// columns (postgres_schema.hpp), so data and tools move between the two, but for raw_format:
// SQLite may keep `raw` zstd-compressed (raw_format 1, raw_codec.hpp), where PostgreSQL
// compresses large values itself (TOAST).
#include <sqlite3.h>

#include <string_view>

#include "engine/core/result.hpp"
#include "engine/store/raw_codec.hpp"
#include "engine/store/store.hpp"

namespace hisbridge::store::sqlite {

// hisbridge_schema holds one row with this number; open() migrates older files forward and
// refuses newer ones.
inline constexpr int kSchemaVersion = 4;

// What every row read selects, in the order read_message() expects.
inline constexpr std::string_view kMessageColumns =
    "id, received_at_us, updated_at_us, source, peer, control_id, sending_application, "
    "sending_facility, message_type, patient_id, status, error, duplicate_of, raw, raw_format";

// Creates the tables in an empty database, migrates an older one, and refuses a file that
// holds other tables but no hisbridge schema (StoreError::corrupt): pointing the journal at
// the HIS staging database by mistake must not write into it. Runs in one transaction.
Result<void> ensure_schema(sqlite3* db);

// Copies the current row of a statement selecting kMessageColumns into `out`, `raw` restored
// through `codec`; false when a compressed `raw` does not decode (a damaged row).
bool read_message(sqlite3_stmt* s, StoredMessage& out, RawCodec& codec);

// Copies the current row of a statement selecting kDeliveryColumns (queue_sql.hpp) into `out`.
void read_delivery(sqlite3_stmt* s, QueuedDelivery& out);

}  // namespace hisbridge::store::sqlite
