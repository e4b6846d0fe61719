#include "engine/store/pg_pipeline.hpp"

namespace hisbridge::store::pg {

Result<PgResult> next_result(PGconn* conn, ExecStatusType expected, std::string_view what) {
  PgResult r(PQgetResult(conn));
  if (!r) {
    return fail(conn, nullptr, what);
  }
  const ExecStatusType status = PQresultStatus(r.get());
  if (status != PGRES_PIPELINE_SYNC) {
    const PgResult end(PQgetResult(conn));  // the null that ends this query's results
  }
  if (status != expected) {
    return fail(conn, r.get(), what);
  }
  return r;
}

Result<void> read_sync(PGconn* conn) {
  const PgResult r(PQgetResult(conn));
  if (!r || PQresultStatus(r.get()) != PGRES_PIPELINE_SYNC) {
    return fail(conn, r.get(), "pipeline sync");
  }
  return {};
}

void drain_to_sync(PGconn* conn) {
  int nulls = 0;
  for (;;) {
    const PgResult r(PQgetResult(conn));
    if (!r) {
      // Two nulls in a row: nothing more is on its way.
      if (PQstatus(conn) == CONNECTION_BAD || ++nulls > 1) {
        return;
      }
      continue;
    }
    nulls = 0;
    if (PQresultStatus(r.get()) == PGRES_PIPELINE_SYNC) {
      return;
    }
  }
}

}  // namespace hisbridge::store::pg
