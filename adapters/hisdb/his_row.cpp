#include "adapters/hisdb/his_row.hpp"

#include <charconv>
#include <string_view>

#include "adapters/hisdb/error.hpp"

namespace hisbridge::hisdb {
namespace {

bool parse_integer(std::string_view text, std::int64_t& out) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

// Places the record's values by column; false with `why` set on the first bad column.
bool place_columns(const mapping::Record& record, Row& row, std::string& why) {
  const TableDef& table = *row.table;
  const auto& columns = record.shape->columns;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const std::size_t c = table.index_of(columns[i]);
    const std::string where = std::string(table.name) + "." + columns[i];
    if (c == table.columns.size()) {
      why = "unknown column " + where;
      return false;
    }
    if (c == table.updated_at()) {
      why = where + " is set by the writer, not by a record";
      return false;
    }
    if (row.carries(c)) {
      why = "column " + where + " appears twice in the record";
      return false;
    }
    const mapping::Value& value = record.values[i];
    if (table.columns[c].integer && !value.is_null() &&
        !parse_integer(value.text, row.integers[c])) {
      why = where + " is not an integer";
      return false;
    }
    row.carried |= std::uint32_t{1} << c;
    row.values[c] = &value;
  }
  return true;
}

bool check_key(const Row& row, std::string& why) {
  const TableDef& table = *row.table;
  for (const std::size_t k : table.key) {
    const mapping::Value* v = row.values[k];
    if (v == nullptr || v->is_null() || v->text.empty()) {
      why =
          "missing key value " + std::string(table.name) + "." + std::string(table.columns[k].name);
      return false;
    }
  }
  return true;
}

}  // namespace

Result<Row> to_row(const mapping::Record& record, std::string& why) {
  if (!record.shape) {
    why = "record without a shape";
    return HisDbError::invalid_record;
  }
  Row row;
  row.table = find_table(record.shape->table);
  if (row.table == nullptr) {
    why = "unknown table " + record.shape->table;
    return HisDbError::invalid_record;
  }
  if (record.values.size() != record.shape->columns.size()) {
    why = "record for " + record.shape->table + " has " + std::to_string(record.values.size()) +
          " values for " + std::to_string(record.shape->columns.size()) + " columns";
    return HisDbError::invalid_record;
  }
  if (!place_columns(record, row, why) || !check_key(row, why)) {
    return HisDbError::invalid_record;
  }
  return row;
}

}  // namespace hisbridge::hisdb
