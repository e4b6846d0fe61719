#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/timeline/interval_definition.hpp"
#include "engine/timeline/timeline_store.hpp"

namespace hisbridge::timeline {

// Statistics of one group of intervals. Durations in seconds (microsecond precision).
// Percentiles are exact by the nearest-rank method over the valid intervals: pN is the value
// at rank ceil(N/100 * count) of the sorted durations. Invalid intervals are only counted.
struct GroupStatistics {
  std::vector<std::pair<Dimension, std::string>> key;  // in group_by order; empty: everything
  std::size_t count = 0;                               // valid intervals
  double mean_s = 0, p50_s = 0, p90_s = 0, p95_s = 0, p99_s = 0, max_s = 0;
  // The group's target when every interval in it has the same one (a group by priority);
  // nullopt when they differ or the interval has none.
  std::optional<double> target_s;
  std::size_t breaches = 0;  // valid intervals longer than their own priority's target
  std::size_t invalid = 0;
};

// Groups `rows` by `group_by` (groups ordered by key) and computes each group's statistics.
// With no group_by there is exactly one group, even over no rows.
std::vector<GroupStatistics> summarize(std::span<const IntervalRow> rows,
                                       const IntervalDefinition& definition,
                                       std::span<const Dimension> group_by);

}  // namespace hisbridge::timeline
