#pragma once

// The HIS staging schema (design.md, "HIS staging schema") as data: the five tables, their
// columns in contract order, their keys, and how each ranks its status. The SQL of both
// writers is generated from these definitions, so SQLite and PostgreSQL cannot drift apart.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace hisbridge::hisdb {

// Enough for his_order (16 columns with updated_at); a column set fits in a 32-bit mask.
inline constexpr std::size_t kMaxColumns = 32;

// How the rows of a table order their statuses, so that a late message of lower rank cannot
// downgrade what a later stage already wrote (stock-mapping.md: a final result replaces a
// preliminary one, a corrected one replaces a final one).
enum class StatusRanking : std::uint8_t {
  none,    // no status column: every carried non-null value replaces
  result,  // his_result, his_report: C=3 > F=2 > anything else=1 (OBX-11 / OBR-25)
  order,   // his_order: C=6 > F=5 > P=4 > CM=3 > IP=2 > other codes=1 > empty or NULL=0
};

struct ColumnDef {
  std::string_view name;
  bool integer = false;  // INTEGER in the database (his_result.seq); every other column is text
};

struct TableDef {
  std::string_view name;
  std::span<const ColumnDef> columns;  // contract order; updated_at last when present
  std::span<const std::size_t> key;    // indexes into `columns`: the primary key
  bool has_updated_at = false;         // set by the writer, never by a record
  StatusRanking ranking = StatusRanking::none;
  std::size_t status = 0;  // index of `status` when ranking != none

  // Index of `column`, or columns.size() when the table has no such column.
  std::size_t index_of(std::string_view column) const;
  bool is_key(std::size_t column) const;
  // The column the writer sets: updated_at's index, or columns.size() when there is none.
  std::size_t updated_at() const { return has_updated_at ? columns.size() - 1 : columns.size(); }
};

// The five tables, in the order they are created.
std::span<const TableDef> his_tables() noexcept;

// The table called `name`, or nullptr.
const TableDef* find_table(std::string_view name) noexcept;

// Version of the schema these definitions describe, kept in his_schema(version).
inline constexpr int kSchemaVersion = 1;

}  // namespace hisbridge::hisdb
