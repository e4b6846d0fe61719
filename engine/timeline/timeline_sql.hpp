#pragma once

// The statements of the timeline's queries, built alike for SQLite and PostgreSQL (both keep
// the same tables and columns): intervals in a window, and running clocks over target.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/timeline/interval_definition.hpp"
#include "engine/timeline/timeline_store.hpp"

namespace hisbridge::timeline {

// A bound value: text or a 64-bit integer.
struct SqlParameter {
  bool is_number = false;
  std::int64_t number = 0;
  std::string text;
};

struct BuiltSql {
  std::string sql;
  std::vector<SqlParameter> parameters;  // $1/?1 first
};

// The columns interval_query_sql() selects, in order.
enum IntervalColumn : int {
  kDuration, kInvalid, kPriority, kDepartment, kServiceCode, kModality
};

// Rows of `q.interval` with their to end in [from, to) and every filter. Values go in as
// parameters (placeholders `?N` when `prefix` is '?', `$N` when '$'); the text of the
// statement depends only on which dimensions are filtered, so a cached statement serves
// every window. Read through the index on (interval_name, to_us) that holds every column
// read: a window is one range of the index.
BuiltSql interval_query_sql(char prefix, const IntervalQuery& q);

// The columns overdue_sql() selects, in order.
enum OverdueColumn : int {
  kSubject, kFromUs, kTargetUs, kDiscipline, kVisitId, kPatientId, kInfoDepartment,
  kInfoPriority, kInfoServiceCode, kInfoModality
};

// Subjects of `d` (order or visit scope, with targets) whose from mark is in
// [now - lookback, now - target of their priority) and that have none of its to marks,
// oldest first, at most q.limit. Read through the index on marks (scope, kind, at_us).
BuiltSql overdue_sql(char prefix, const IntervalDefinition& d, const OverdueQuery& q);

// Whether overdue() looks for running clocks of `d`: an order or visit interval with targets.
bool has_clock(const IntervalDefinition& d);

// The items of every definition, oldest first (then by interval and subject), at most `limit`.
void sort_overdue(std::vector<OverdueItem>& items, std::size_t limit);

}  // namespace hisbridge::timeline
