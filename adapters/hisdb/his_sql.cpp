#include "adapters/hisdb/his_sql.hpp"

namespace hisbridge::hisdb {
namespace {

std::string placeholder(std::size_t n, Dialect d) {
  return (d == Dialect::postgres ? "$" : "?") + std::to_string(n);
}

// SQLite's IS NOT is null-safe inequality; PostgreSQL spells it IS DISTINCT FROM.
const char* distinct(Dialect d) {
  return d == Dialect::postgres ? " IS DISTINCT FROM " : " IS NOT ";
}

// The rank of the status `x` (a column reference), higher = later stage of the order/result.
std::string rank(StatusRanking ranking, const std::string& x) {
  if (ranking == StatusRanking::result) {
    return "(CASE " + x + " WHEN 'C' THEN 3 WHEN 'F' THEN 2 ELSE 1 END)";
  }
  return "(CASE WHEN COALESCE(" + x + ", '') = '' THEN 0 WHEN " + x + " = 'C' THEN 6 WHEN " + x +
         " = 'F' THEN 5 WHEN " + x + " = 'P' THEN 4 WHEN " + x + " = 'CM' THEN 3 WHEN " + x +
         " = 'IP' THEN 2 ELSE 1 END)";
}

// The value column `c` takes on a key conflict.
std::string new_value(const TableDef& t, std::string_view c) {
  const std::string stored = std::string(t.name) + "." + std::string(c);
  const std::string incoming = "excluded." + std::string(c);
  if (t.ranking == StatusRanking::none) {
    return "COALESCE(" + incoming + ", " + stored + ")";
  }
  const std::string status(t.columns[t.status].name);
  const std::string lower = rank(t.ranking, "excluded." + status) + " < " +
                            rank(t.ranking, std::string(t.name) + "." + status);
  return "CASE WHEN " + lower + "\n      THEN COALESCE(" + stored + ", " + incoming +
         ")\n      ELSE COALESCE(" + incoming + ", " + stored + ") END";
}

std::string column_list(const TableDef& t, std::uint32_t carried, Dialect d, bool values) {
  std::string out;
  std::size_t n = 0;
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const bool writer_time = i == t.updated_at();
    if ((carried >> i & 1U) == 0 && !writer_time) {
      continue;
    }
    out += (n++ == 0 ? "" : ", ");
    out += values ? placeholder(n, d) : std::string(t.columns[i].name);
  }
  return out;
}

std::string key_list(const TableDef& t) {
  std::string out;
  for (const std::size_t k : t.key) {
    out += (out.empty() ? "" : ", ") + std::string(t.columns[k].name);
  }
  return out;
}

std::string create_table(const TableDef& t) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + std::string(t.name) + " (\n";
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    sql += "  " + std::string(t.columns[i].name) + (t.columns[i].integer ? " INTEGER" : " TEXT");
    sql += t.is_key(i) ? " NOT NULL,\n" : ",\n";
  }
  return sql + "  PRIMARY KEY (" + key_list(t) + ")\n);\n";
}

}  // namespace

std::string create_schema_sql() {
  std::string sql;
  for (const TableDef& t : his_tables()) {
    sql += create_table(t);
  }
  sql += "CREATE TABLE IF NOT EXISTS his_schema (version INTEGER NOT NULL);\n";
  sql += "INSERT INTO his_schema (version) SELECT " + std::to_string(kSchemaVersion) +
         " WHERE NOT EXISTS (SELECT 1 FROM his_schema);\n";
  return sql;
}

std::string upsert_sql(const TableDef& t, std::uint32_t carried, Dialect d) {
  std::string sql = "INSERT INTO " + std::string(t.name) + " (" +
                    column_list(t, carried, d, false) + ")\nVALUES (" +
                    column_list(t, carried, d, true) + ")\nON CONFLICT (" + key_list(t) + ") ";
  std::string set;
  std::string changed;
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    if ((carried >> i & 1U) == 0 || t.is_key(i)) {
      continue;
    }
    const std::string_view c = t.columns[i].name;
    const std::string value = new_value(t, c);
    set += (set.empty() ? "  " : ",\n  ") + std::string(c) + " = " + value;
    changed += (changed.empty() ? "  (" : "\n  OR (") + value + ")" + distinct(d) +
               std::string(t.name) + "." + std::string(c);
  }
  if (set.empty()) {
    return sql + "DO NOTHING";  // only the key: nothing to update
  }
  if (t.has_updated_at) {
    set += ",\n  updated_at = excluded.updated_at";
  }
  return sql + "DO UPDATE SET\n" + set + "\nWHERE\n" + changed;
}

}  // namespace hisbridge::hisdb
