#pragma once

// The SQLite journal's tables and how a row reads back. PostgresStore keeps the same tables and
// columns (postgres_schema.hpp), so data and tools move between the two.
#include <sqlite3.h>

#include <string_view>

#include "engine/core/result.hpp"
#include "engine/store/store.hpp"

namespace hisbridge::store::sqlite {

// hisbridge_schema holds one row with this number; open() migrates older files forward and
// refuses newer ones.
inline constexpr int kSchemaVersion = 1;

// What every row read selects, in the order read_message() expects.
inline constexpr std::string_view kMessageColumns =
    "id, received_at_us, updated_at_us, source, peer, control_id, sending_application, "
    "sending_facility, message_type, patient_id, status, error, duplicate_of, raw";

// Creates the tables in an empty database, migrates an older one, and refuses a file that
// holds other tables but no hisbridge schema (StoreError::corrupt): pointing the journal at
// the HIS staging database by mistake must not write into it. Runs in one transaction.
Result<void> ensure_schema(sqlite3* db);

// Copies the current row of a statement selecting kMessageColumns into `out`.
void read_message(sqlite3_stmt* s, StoredMessage& out);

}  // namespace hisbridge::store::sqlite
