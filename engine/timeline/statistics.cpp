#include "engine/timeline/statistics.hpp"

#include <algorithm>
#include <map>

namespace hisbridge::timeline {
namespace {

constexpr double kMicrosPerSecond = 1e6;

double seconds(std::int64_t us) { return static_cast<double>(us) / kMicrosPerSecond; }

// The value at nearest rank ceil(p/100 * n) (1-based) of `sorted`, computed in integers:
// in floating point 0.9 * 10 is 9.000000000000002, whose ceiling would pick rank 10.
double percentile(const std::vector<std::int64_t>& sorted, std::size_t p) {
  if (sorted.empty()) {
    return 0;
  }
  const std::size_t rank = (p * sorted.size() + 99) / 100;
  return seconds(sorted[std::max<std::size_t>(rank, 1) - 1]);
}

// The one target every interval of the definition has whatever its priority, if so.
std::optional<std::chrono::seconds> uniform_target(const IntervalDefinition& d) {
  std::optional<std::chrono::seconds> out;
  for (const auto& [priority, target] : d.targets) {
    if (out && *out != target) {
      return std::nullopt;
    }
    out = target;
  }
  return out;
}

// The group's target: the one its valid intervals share. A group without valid intervals
// takes the target its priority key names, else the definition's uniform one, so that an
// empty window still shows what it is measured against.
std::optional<double> group_target(const std::vector<const IntervalRow*>& valid,
                                   const std::vector<std::pair<Dimension, std::string>>& key,
                                   const IntervalDefinition& d) {
  std::optional<std::chrono::seconds> common;
  if (valid.empty()) {
    const auto by_priority = std::find_if(key.begin(), key.end(), [](const auto& k) {
      return k.first == Dimension::priority;
    });
    common = by_priority != key.end() ? d.target_for(by_priority->second) : uniform_target(d);
  } else {
    common = d.target_for(valid.front()->priority);
    for (const IntervalRow* r : valid) {
      if (d.target_for(r->priority) != common) {
        return std::nullopt;
      }
    }
  }
  if (!common) {
    return std::nullopt;
  }
  return static_cast<double>(common->count());
}

GroupStatistics statistics_of(std::vector<std::pair<Dimension, std::string>> key,
                              const std::vector<const IntervalRow*>& rows,
                              const IntervalDefinition& d) {
  GroupStatistics g;
  g.key = std::move(key);
  std::vector<const IntervalRow*> valid;
  std::vector<std::int64_t> durations;
  long double sum = 0;
  for (const IntervalRow* r : rows) {
    if (r->invalid) {
      ++g.invalid;
      continue;
    }
    valid.push_back(r);
    durations.push_back(r->duration_us);
    sum += static_cast<long double>(r->duration_us);
    const auto target = d.target_for(r->priority);
    if (target && r->duration_us > std::int64_t{target->count()} * 1'000'000) {
      ++g.breaches;
    }
  }
  std::sort(durations.begin(), durations.end());
  g.count = durations.size();
  if (g.count > 0) {
    g.mean_s = static_cast<double>(sum / static_cast<long double>(g.count) / kMicrosPerSecond);
    g.max_s = seconds(durations.back());
  }
  g.p50_s = percentile(durations, 50);
  g.p90_s = percentile(durations, 90);
  g.p95_s = percentile(durations, 95);
  g.p99_s = percentile(durations, 99);
  g.target_s = group_target(valid, g.key, d);
  return g;
}

}  // namespace

std::vector<GroupStatistics> summarize(std::span<const IntervalRow> rows,
                                       const IntervalDefinition& definition,
                                       std::span<const Dimension> group_by) {
  // Keyed by the group's values in group_by order, so groups come out sorted by key.
  std::map<std::vector<std::string>, std::vector<const IntervalRow*>> groups;
  if (group_by.empty()) {
    groups[{}];  // exactly one group, even over no rows
  }
  std::vector<std::string> values(group_by.size());
  for (const IntervalRow& r : rows) {
    for (std::size_t i = 0; i < group_by.size(); ++i) {
      values[i] = r.get(group_by[i]);
    }
    groups[values].push_back(&r);
  }
  std::vector<GroupStatistics> out;
  out.reserve(groups.size());
  for (const auto& [group_values, members] : groups) {
    std::vector<std::pair<Dimension, std::string>> key;
    for (std::size_t i = 0; i < group_by.size(); ++i) {
      key.emplace_back(group_by[i], group_values[i]);
    }
    out.push_back(statistics_of(std::move(key), members, definition));
  }
  return out;
}

}  // namespace hisbridge::timeline
