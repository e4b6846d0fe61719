#pragma once

// The timeline's tables in the journal's SQLite file (timeline_ prefix), beside the journal's.
#include <sqlite3.h>

#include "engine/core/result.hpp"

namespace hisbridge::timeline::sqlite_schema {

// timeline_schema holds one row with this number; newer files are refused.
inline constexpr int kVersion = 2;

// Sets the connection up as the journal's are (extended codes, a busy timeout: the journal's
// writer works on the same file from its own connection; WAL), makes sure the journal's own
// tables are there (store::sqlite::ensure_schema: it refuses a file that holds other tables,
// and the journal, opened after us on a new file, would refuse our tables), and creates the
// timeline's when missing, in one transaction.
Result<void> prepare_database(sqlite3* db);

}  // namespace hisbridge::timeline::sqlite_schema
