#pragma once

// The timeline's tables in the journal's PostgreSQL database: the same tables and columns as
// in SQLite (sqlite_timeline_schema.hpp), in PostgreSQL types.
#include <libpq-fe.h>

#include "engine/core/result.hpp"

namespace hisbridge::timeline::postgres_schema {

inline constexpr int kVersion = 2;

// Creates the tables when absent, in one transaction under an advisory lock (engine nodes
// starting together do not race); a newer version than this build knows is
// StoreError::corrupt. The tables go into the first schema of the search_path.
Result<void> ensure(PGconn* conn);

}  // namespace hisbridge::timeline::postgres_schema
