#pragma once

// The SQL for Store::find(), shared by SqliteStore and PostgresStore so a query means the same
// on both: only the placeholder syntax differs (`?1` for SQLite, `$1` for PostgreSQL).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/store/store.hpp"

namespace hisbridge::store {

struct SqlParam {
  bool is_text = false;
  std::int64_t integer = 0;
  std::string text;
};

struct QuerySql {
  std::string sql;
  std::vector<SqlParam> params;  // params[0] is placeholder 1
};

// SELECT `columns` FROM hisbridge_messages WHERE <each set member> ORDER BY id DESC LIMIT n.
// `placeholder` is '?' or '$'. A message_type without '^' matches every trigger of that type.
QuerySql find_sql(const MessageQuery& query, std::string_view columns, char placeholder);

// `limit` as an SQL integer (the largest one when it does not fit).
std::int64_t sql_limit(std::size_t limit);

}  // namespace hisbridge::store
