#pragma once

// Reading results in libpq pipeline mode: every query sent gives its result and then a null,
// in the order sent; PQpipelineSync() gives a PGRES_PIPELINE_SYNC result. After the first
// failing query the rest of the segment comes back PGRES_PIPELINE_ABORTED.
#include <libpq-fe.h>

#include <string_view>

#include "engine/core/result.hpp"
#include "engine/store/pg_connection.hpp"

namespace hisbridge::store::pg {

// The next query's result; fails (and logs) unless its status is `expected`.
Result<PgResult> next_result(PGconn* conn, ExecStatusType expected, std::string_view what);

// The sync point that closes a segment.
Result<void> read_sync(PGconn* conn);

// After a failure: drops every result up to and including the sync point, or stops when the
// connection is gone, so the connection can leave pipeline mode.
void drain_to_sync(PGconn* conn);

}  // namespace hisbridge::store::pg
