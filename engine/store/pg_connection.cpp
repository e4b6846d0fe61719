#include "engine/store/pg_connection.hpp"

#include <cstring>
#include <string>

#include "engine/store/failure_log.hpp"

namespace hisbridge::store::pg {

StoreError error_for(PGconn* conn, const PGresult* result) noexcept {
  if (conn == nullptr || PQstatus(conn) == CONNECTION_BAD) {
    return StoreError::unavailable;
  }
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string_view s = state != nullptr ? state : "";
  if (s.size() != 5) {
    return StoreError::io;
  }
  const std::string_view cls = s.substr(0, 2);
  if (cls == "23") {
    return StoreError::constraint;  // integrity constraint violation
  }
  if (s == "40001" || s == "40P01" || s == "55P03" || s == "57014") {
    return StoreError::busy;  // serialization, deadlock, lock not available, statement timeout
  }
  if (cls == "08" || cls == "57" || s == "53300") {
    return StoreError::unavailable;  // connection exception, shutdown, too many connections
  }
  if (cls == "XX" || cls == "42") {
    return StoreError::corrupt;  // data corrupted; a table or column that is not ours
  }
  if (cls == "28" || cls == "3D") {
    return StoreError::bad_config;  // authentication, unknown database
  }
  return StoreError::io;  // disk full (53100) and everything else
}

boost::system::error_code fail(PGconn* conn, const PGresult* result, std::string_view what) {
  const char* text = result != nullptr ? PQresultErrorMessage(result) : "";
  if (text == nullptr || *text == '\0') {
    text = conn != nullptr ? PQerrorMessage(conn) : "no connection";
  }
  std::string_view message = text;
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.remove_suffix(1);
  }
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  log_store_failure("postgresql", what, state != nullptr ? state : "none", message);
  return make_error_code(error_for(conn, result));
}

Result<PgResult> exec(PGconn* conn, const char* sql, ExecStatusType expected,
                      std::string_view what) {
  PgResult r(PQexec(conn, sql));
  if (!r || PQresultStatus(r.get()) != expected) {
    return fail(conn, r.get(), what);
  }
  return r;
}

void put_int8(char* out, std::int64_t value) noexcept {
  auto v = static_cast<std::uint64_t>(value);
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

std::int64_t get_int8(const char* in) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<unsigned char>(in[i]);
  }
  return static_cast<std::int64_t>(v);
}

std::string_view cell(const PGresult* r, int row, int column) noexcept {
  const int n = PQgetlength(r, row, column);
  if (n <= 0) {
    return {};
  }
  return {PQgetvalue(r, row, column), static_cast<std::size_t>(n)};
}

std::int64_t cell_int8(const PGresult* r, int row, int column) noexcept {
  if (PQgetlength(r, row, column) != 8) {
    return 0;
  }
  return get_int8(PQgetvalue(r, row, column));
}

}  // namespace hisbridge::store::pg
