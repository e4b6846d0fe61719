#pragma once

// A mapped record checked against the HIS staging schema, before any SQL runs: the whole
// message is checked first, so an invalid record fails the write without a transaction.
#include <array>
#include <cstdint>
#include <string>

#include "adapters/hisdb/his_tables.hpp"
#include "engine/core/result.hpp"
#include "engine/mapping/record.hpp"

namespace hisbridge::hisdb {

// One record as the upsert binds it: its values by the table's column index.
struct Row {
  const TableDef* table = nullptr;
  std::uint32_t carried = 0;  // bit i set: the record carries column i
  // Points into the record, which must outlive the Row; nullptr where not carried.
  std::array<const mapping::Value*, kMaxColumns> values{};
  // The parsed value of every carried non-null INTEGER column (his_result.seq).
  std::array<std::int64_t, kMaxColumns> integers{};

  bool carries(std::size_t column) const { return (carried >> column & 1U) != 0; }
};

// Checks `record` and returns its Row, or HisDbError::invalid_record with `why` saying what is
// wrong, naming the table and column but never a value (values are patient data):
// - the table must be one of the five, each column a column of that table, none twice;
// - updated_at is the writer's own and may not be carried;
// - every key column must be carried, non-null and not empty;
// - an INTEGER column (his_result.seq) must hold a decimal integer when not null.
Result<Row> to_row(const mapping::Record& record, std::string& why);

}  // namespace hisbridge::hisdb
