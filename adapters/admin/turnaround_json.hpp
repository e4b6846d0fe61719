#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

#include "adapters/admin/turnaround_query.hpp"
#include "engine/mapping/time_zone.hpp"
#include "engine/timeline/statistics.hpp"
#include "engine/timeline/timeline_store.hpp"

namespace hisbridge::admin {

// The JSON answers of the turnaround API (docs/metrics.md). Durations are seconds, times ISO
// 8601 in `zone`. Pure: no I/O, no clock.

// At most this many buckets in a distribution; the last one is open (`to_s` null) and holds
// every longer interval, so one interval of days cannot make a dashboard draw thousands.
inline constexpr std::size_t kMaxBuckets = 200;

// GET /api/v1/turnaround:
//   {"interval", "from", "to", "group_by": ["priority", ...],
//    "groups": [{"key": {"priority": "S"}, "count", "mean_s", "p50_s", "p90_s", "p95_s",
//                "p99_s", "max_s", "target_s", "breaches", "breach_pct", "invalid"}]}
// A group without valid intervals has null figures (and breach_pct); target_s is null when the
// group's intervals have different targets or none. breach_pct = 100 * breaches / count.
nlohmann::ordered_json statistics_json(const TurnaroundRequest& request,
                                       std::span<const timeline::GroupStatistics> groups,
                                       const mapping::TimeZone& zone);

// GET /api/v1/turnaround/distribution: valid intervals counted per `bucket_s` of duration,
//   {"interval", "from", "to", "bucket_s",
//    "buckets": [{"from_s", "to_s", "count"}], "invalid": n}
// Buckets [k * bucket_s, (k + 1) * bucket_s) from 0 to the longest interval's, empty ones
// included; none without valid intervals.
nlohmann::ordered_json distribution_json(const TurnaroundRequest& request,
                                         std::span<const timeline::IntervalRow> rows,
                                         const mapping::TimeZone& zone);

// GET /api/v1/turnaround/intervals: {"intervals": [{"name", "scope", "from", "to": [...],
// "discipline" (null: both), "targets": {"S": s, ...}, "default_target_s" (null: none)}]}
nlohmann::ordered_json intervals_json(std::span<const timeline::IntervalDefinition> definitions);

// GET /api/v1/overdue: {"now", "items": [{"interval", "order_no" (order scope) / "message_id"
// (message scope), "visit_id", "patient_id", "department", "priority", "service_code",
// "modality", "started_at", "age_s", "target_s"}]}, oldest first.
nlohmann::ordered_json overdue_json(std::int64_t now_us,
                                    std::span<const timeline::OverdueItem> items,
                                    const mapping::TimeZone& zone);

}  // namespace hisbridge::admin
