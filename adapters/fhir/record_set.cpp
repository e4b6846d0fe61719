#include "adapters/fhir/record_set.hpp"

#include <array>
#include <initializer_list>
#include <unordered_map>
#include <utility>

#include "adapters/fhir/error.hpp"

namespace hisbridge::fhir {
namespace {

std::string_view trim(std::string_view text) {
  constexpr std::string_view kBlanks = " \t\r\n";
  const std::size_t first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(kBlanks) - first + 1);
}

struct Table {
  std::string_view name;
  std::vector<Row> RecordSet::*rows;
  std::initializer_list<std::string_view> key;
};

const std::array<Table, 5>& tables() {
  static const std::array<Table, 5> kTables = {{
      {"his_patient", &RecordSet::patients, {"patient_id"}},
      {"his_visit", &RecordSet::visits, {"visit_id"}},
      {"his_order", &RecordSet::orders, {"order_no"}},
      {"his_result", &RecordSet::results, {"order_no", "test_code", "seq"}},
      {"his_report", &RecordSet::reports, {"order_no"}},
  }};
  return kTables;
}

const Table* find_table(std::string_view name) {
  for (const Table& table : tables()) {
    if (table.name == name) {
      return &table;
    }
  }
  return nullptr;
}

const Row* find_row(const std::vector<Row>& rows, std::string_view column, std::string_view value) {
  for (const Row& row : rows) {
    if (row.get(column) == value) {
      return &row;
    }
  }
  return nullptr;
}

}  // namespace

void Row::merge(const mapping::Record& record) {
  for (std::size_t i = 0; i < record.values.size() && i < record.shape->columns.size(); ++i) {
    const mapping::Value& value = record.values[i];
    const std::string_view text = trim(value.text);
    if (!value.is_null() && !text.empty()) {
      values_[record.shape->columns[i]] = std::string(text);
    }
  }
}

std::string_view Row::get(std::string_view column) const {
  const auto it = values_.find(column);
  return it == values_.end() ? std::string_view() : std::string_view(it->second);
}

const Row* RecordSet::patient(std::string_view patient_id) const {
  return find_row(patients, "patient_id", patient_id);
}

const Row* RecordSet::visit(std::string_view visit_id) const {
  return find_row(visits, "visit_id", visit_id);
}

const Row* RecordSet::order(std::string_view order_no) const {
  return find_row(orders, "order_no", order_no);
}

const Row* RecordSet::report(std::string_view order_no) const {
  return find_row(reports, "order_no", order_no);
}

Result<RecordSet> collect_records(std::span<const mapping::Record> records) {
  RecordSet set;
  // Key text (parts joined by NUL, which no key holds) → index into the table's rows.
  std::unordered_map<std::string, std::size_t> seen;
  for (const mapping::Record& record : records) {
    const Table* table = record.shape ? find_table(record.table()) : nullptr;
    if (table == nullptr) {
      continue;
    }
    std::string key(table->name);
    for (const std::string_view column : table->key) {
      const std::string_view part = trim(record.get(column).text);
      if (record.get(column).is_null() || part.empty()) {
        return make_error_code(Error::missing_key);
      }
      key += '\0';
      key += part;
    }
    std::vector<Row>& rows = set.*(table->rows);
    const auto [it, inserted] = seen.try_emplace(std::move(key), rows.size());
    if (inserted) {
      rows.emplace_back();
    }
    rows[it->second].merge(record);
  }
  return set;
}

}  // namespace hisbridge::fhir
