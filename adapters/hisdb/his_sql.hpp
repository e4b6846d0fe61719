#pragma once

// The SQL both writers run, generated from the table definitions (his_tables.hpp). SQLite and
// PostgreSQL get the same statements except for how parameters are written and how "is
// distinct from" is spelled.
#include <cstdint>
#include <string>

#include "adapters/hisdb/his_tables.hpp"

namespace hisbridge::hisdb {

enum class Dialect { sqlite, postgres };

// CREATE TABLE IF NOT EXISTS for the five tables and his_schema(version), and the first
// version row when his_schema is empty. Several statements; run it inside a transaction.
//
// Every column is text except his_result.seq (INTEGER), in both databases. Times stay text
// too: the exact ISO 8601 strings the mapping produced (with their own offset and
// precision), never converted to the database's time zone or reformatted by it, so SQLite
// and PostgreSQL hold byte-identical rows and a replay compares equal.
std::string create_schema_sql();

// The newest version recorded in his_schema.
inline constexpr const char* kSchemaVersionSql = "SELECT MAX(version) FROM his_schema";

// The one statement that upserts a record of `table` carrying the columns in `carried`
// (bit i = column i; the key columns are always among them). Parameters, numbered from 1:
// the carried columns in table order, then the write time when the table has updated_at.
//
// On a key conflict:
// - a carried NULL keeps the stored value, a carried non-null value replaces it, a column
//   that is not carried is left alone;
// - in tables with a status ranking (his_order, his_result, his_report), a row whose status
//   ranks lower than the stored one only fills columns that are NULL in the stored row (a
//   late preliminary result never downgrades a final one, but may still supply a time that
//   was not known);
// - the row is only updated when some column actually changes, so updated_at moves only
//   then and a replay writes nothing.
std::string upsert_sql(const TableDef& table, std::uint32_t carried, Dialect dialect);

}  // namespace hisbridge::hisdb
