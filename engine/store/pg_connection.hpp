#pragma once

// Thin RAII and error helpers over libpq, shared by PostgresStore and its schema code.
// Nothing here throws; failures come back as StoreError with the server's text logged.
#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string_view>

#include "engine/core/result.hpp"
#include "engine/store/error.hpp"

#if !defined(LIBPQ_HAS_PIPELINING)
#error "PostgresStore needs libpq 14 or later (pipeline mode)"
#endif

namespace hisbridge::store::pg {

struct Finish {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
using Connection = std::unique_ptr<PGconn, Finish>;

struct Clear {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, Clear>;

// Type OIDs (pg_type.h is a server header; these values never change).
inline constexpr Oid kBool = 16;
inline constexpr Oid kBytea = 17;
inline constexpr Oid kInt8 = 20;
inline constexpr Oid kText = 25;

// The StoreError for a failed result, by SQLSTATE; StoreError::unavailable whenever the
// connection itself is gone, since nothing can be known to have committed.
StoreError error_for(PGconn* conn, const PGresult* result) noexcept;

// Logs "postgresql <what>: <server message>" and returns the matching error code.
boost::system::error_code fail(PGconn* conn, const PGresult* result, std::string_view what);

// Runs SQL without parameters outside pipeline mode; fails unless the result has `expected`.
Result<PgResult> exec(PGconn* conn, const char* sql, ExecStatusType expected,
                      std::string_view what);

// int8 in the binary wire format (network byte order).
void put_int8(char* out, std::int64_t value) noexcept;
std::int64_t get_int8(const char* in) noexcept;

// A binary result cell as bytes; an int8 cell as a number (0 when NULL or malformed).
std::string_view cell(const PGresult* r, int row, int column) noexcept;
std::int64_t cell_int8(const PGresult* r, int row, int column) noexcept;

}  // namespace hisbridge::store::pg
