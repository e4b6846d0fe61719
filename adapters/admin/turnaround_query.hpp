#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "adapters/admin/query.hpp"
#include "engine/core/result.hpp"
#include "engine/mapping/time_zone.hpp"
#include "engine/timeline/interval_definition.hpp"
#include "engine/timeline/timeline_store.hpp"

namespace hisbridge::admin {

// Why a request gets no figures: the HTTP status (400 a bad parameter, 404 an unknown
// interval) and a message that names the parameter.
struct ApiError {
  unsigned status = 400;
  std::string message;
};

inline constexpr std::int64_t kDefaultBucketSeconds = 300;
inline constexpr std::int64_t kMaxBucketSeconds = 7 * 86400;
inline constexpr std::size_t kDefaultOverdueLimit = 500;
inline constexpr std::size_t kMaxOverdueLimit = 5000;

enum class TurnaroundEndpoint {
  statistics,    // GET /api/v1/turnaround
  distribution,  // GET /api/v1/turnaround/distribution
};

// A request for the intervals of one definition over a window.
struct TurnaroundRequest {
  const timeline::IntervalDefinition* definition = nullptr;  // into the definitions given
  timeline::IntervalQuery query;                             // interval, window, filters
  std::vector<timeline::Dimension> group_by;                 // statistics only
  std::int64_t bucket_s = kDefaultBucketSeconds;             // distribution only
};

// The parameters of `GET /api/v1/turnaround` and `.../distribution`:
//   interval    required: a configured interval's name (unknown: 404 listing the known ones)
//   from, to    ISO 8601 (iso_time.hpp); the window takes intervals whose `to` end is at or
//               after `from` and before `to`. Defaults: the start of today in `zone`, and now.
//   group_by    statistics: a comma-separated list of department, service_code, modality,
//               priority (each at most once); empty: one group
//   bucket_s    distribution: the width of a bucket in seconds, 1 to 604800, default 300
//   department, priority, service_code, modality   filters, values compared exactly
// Any other parameter is an error, so that a typo does not silently widen the figures.
Result<TurnaroundRequest, ApiError> parse_turnaround_request(
    const QueryParams& params, TurnaroundEndpoint endpoint,
    std::span<const timeline::IntervalDefinition> definitions, const mapping::TimeZone& zone,
    std::int64_t now_us);

// The parameters of `GET /api/v1/overdue`: `interval` (one interval's clocks only; unknown:
// 404) and `limit` (1 to 5000, default 500).
struct OverdueRequest {
  const timeline::IntervalDefinition* definition = nullptr;  // null: every interval
  std::size_t limit = kDefaultOverdueLimit;
};
Result<OverdueRequest, ApiError> parse_overdue_request(
    const QueryParams& params, std::span<const timeline::IntervalDefinition> definitions);

// Midnight at the start of the day `now_us` falls on, in `zone`.
std::int64_t start_of_day_us(std::int64_t now_us, const mapping::TimeZone& zone);

}  // namespace hisbridge::admin
