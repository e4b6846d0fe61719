#include "adapters/hisdb/his_tables.hpp"

#include <algorithm>
#include <array>

namespace hisbridge::hisdb {
namespace {

constexpr ColumnDef kPatientColumns[] = {
    {"patient_id"}, {"full_name"},    {"birth_date"}, {"sex"},
    {"address"},    {"insurance_no"}, {"updated_at"},
};
constexpr std::size_t kPatientKey[] = {0};

constexpr ColumnDef kVisitColumns[] = {
    {"visit_id"},    {"patient_id"},    {"department"},
    {"visit_class"}, {"registered_at"}, {"updated_at"},
};
constexpr std::size_t kVisitKey[] = {0};

constexpr ColumnDef kOrderColumns[] = {
    {"order_no"},     {"visit_id"},     {"patient_id"},   {"discipline"},
    {"service_code"}, {"service_name"}, {"department"},   {"priority"},
    {"status"},       {"ordered_at"},   {"collected_at"}, {"received_at"},
    {"started_at"},   {"completed_at"}, {"reported_at"},  {"updated_at"},
};
constexpr std::size_t kOrderKey[] = {0};
constexpr std::size_t kOrderStatus = 8;

constexpr ColumnDef kResultColumns[] = {
    {"order_no"}, {"test_code"}, {"seq", true},     {"test_name"}, {"value"},       {"value_type"},
    {"unit"},     {"ref_range"}, {"abnormal_flag"}, {"status"},    {"observed_at"},
};
constexpr std::size_t kResultKey[] = {0, 1, 2};
constexpr std::size_t kResultStatus = 9;

constexpr ColumnDef kReportColumns[] = {
    {"order_no"},   {"accession_no"}, {"modality"}, {"findings"},
    {"conclusion"}, {"reported_by"},  {"status"},   {"reported_at"},
};
constexpr std::size_t kReportKey[] = {0};
constexpr std::size_t kReportStatus = 6;

const std::array<TableDef, 5> kTables = {{
    {"his_patient", kPatientColumns, kPatientKey, true, StatusRanking::none, 0},
    {"his_visit", kVisitColumns, kVisitKey, true, StatusRanking::none, 0},
    {"his_order", kOrderColumns, kOrderKey, true, StatusRanking::order, kOrderStatus},
    {"his_result", kResultColumns, kResultKey, false, StatusRanking::result, kResultStatus},
    {"his_report", kReportColumns, kReportKey, false, StatusRanking::result, kReportStatus},
}};

}  // namespace

std::size_t TableDef::index_of(std::string_view column) const {
  const auto it = std::find_if(columns.begin(), columns.end(),
                               [column](const ColumnDef& c) { return c.name == column; });
  return static_cast<std::size_t>(it - columns.begin());
}

bool TableDef::is_key(std::size_t column) const {
  return std::find(key.begin(), key.end(), column) != key.end();
}

std::span<const TableDef> his_tables() noexcept { return kTables; }

const TableDef* find_table(std::string_view name) noexcept {
  for (const TableDef& t : kTables) {
    if (t.name == name) {
      return &t;
    }
  }
  return nullptr;
}

}  // namespace hisbridge::hisdb
