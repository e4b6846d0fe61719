#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.hpp"
#include "engine/mapping/record.hpp"

namespace hisbridge::fhir {

// One HIS row as the bundle builder reads it: the columns a message made known. A null value,
// and a text that is empty once blanks are trimmed, count as unknown (FHIR forbids empty
// strings, and an empty column says nothing).
class Row {
 public:
  // Copies the known values of `record`; a later record's known value replaces an earlier one
  // and its unknown ones keep what is there, as the HIS upsert does.
  void merge(const mapping::Record& record);

  // The column's text; empty when unknown.
  std::string_view get(std::string_view column) const;
  bool has(std::string_view column) const { return !get(column).empty(); }

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// The records of one message, by HIS table, one Row per key (design.md, HIS staging schema),
// in the order each key first appeared. Records of other tables are ignored: a site mapping
// may write tables of its own that have no FHIR meaning here.
struct RecordSet {
  std::vector<Row> patients;  // his_patient, key patient_id
  std::vector<Row> visits;    // his_visit, key visit_id
  std::vector<Row> orders;    // his_order, key order_no
  std::vector<Row> results;   // his_result, key order_no, test_code, seq
  std::vector<Row> reports;   // his_report, key order_no

  // The row with that key, or nullptr.
  const Row* patient(std::string_view patient_id) const;
  const Row* visit(std::string_view visit_id) const;
  const Row* order(std::string_view order_no) const;
  const Row* report(std::string_view order_no) const;
};

// Groups `records` into a RecordSet, merging rows with the same key. Fails with
// Error::missing_key when a record of a known table lacks a key column.
Result<RecordSet> collect_records(std::span<const mapping::Record> records);

}  // namespace hisbridge::fhir
