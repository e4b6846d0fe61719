#include "adapters/admin/turnaround_json.hpp"

#include <algorithm>

#include "adapters/admin/iso_time.hpp"

namespace hisbridge::admin {
namespace {

using nlohmann::ordered_json;

double seconds(std::int64_t us) { return static_cast<double>(us) / 1e6; }

ordered_json figure(std::size_t count, double value) {
  return count == 0 ? ordered_json() : ordered_json(value);
}

ordered_json group_json(const timeline::GroupStatistics& g) {
  ordered_json key = ordered_json::object();
  for (const auto& [dimension, value] : g.key) {
    key[std::string(timeline::to_string(dimension))] = value;
  }
  ordered_json j;
  j["key"] = std::move(key);
  j["count"] = g.count;
  j["mean_s"] = figure(g.count, g.mean_s);
  j["p50_s"] = figure(g.count, g.p50_s);
  j["p90_s"] = figure(g.count, g.p90_s);
  j["p95_s"] = figure(g.count, g.p95_s);
  j["p99_s"] = figure(g.count, g.p99_s);
  j["max_s"] = figure(g.count, g.max_s);
  j["target_s"] = g.target_s ? ordered_json(*g.target_s) : ordered_json();
  j["breaches"] = g.breaches;
  j["breach_pct"] = figure(g.count, 100.0 * static_cast<double>(g.breaches) /
                                        static_cast<double>(std::max<std::size_t>(g.count, 1)));
  j["invalid"] = g.invalid;
  return j;
}

// The request's interval and window, the head of both interval answers.
ordered_json window_json(const TurnaroundRequest& request, const mapping::TimeZone& zone) {
  ordered_json j;
  j["interval"] = request.query.interval;
  j["from"] = format_iso(request.query.from_us, zone);
  j["to"] = format_iso(request.query.to_us, zone);
  return j;
}

}  // namespace

ordered_json statistics_json(const TurnaroundRequest& request,
                             std::span<const timeline::GroupStatistics> groups,
                             const mapping::TimeZone& zone) {
  ordered_json j = window_json(request, zone);
  ordered_json group_by = ordered_json::array();
  for (const timeline::Dimension d : request.group_by) {
    group_by.push_back(std::string(timeline::to_string(d)));
  }
  j["group_by"] = std::move(group_by);
  ordered_json list = ordered_json::array();
  for (const timeline::GroupStatistics& g : groups) {
    list.push_back(group_json(g));
  }
  j["groups"] = std::move(list);
  return j;
}

ordered_json distribution_json(const TurnaroundRequest& request,
                               std::span<const timeline::IntervalRow> rows,
                               const mapping::TimeZone& zone) {
  const std::int64_t width_us = request.bucket_s * 1'000'000;
  std::vector<std::size_t> counts;
  std::size_t invalid = 0;
  for (const timeline::IntervalRow& r : rows) {
    if (r.invalid || r.duration_us < 0) {
      ++invalid;
      continue;
    }
    const auto index =
        std::min(static_cast<std::size_t>(r.duration_us / width_us), kMaxBuckets - 1);
    if (counts.size() <= index) {
      counts.resize(index + 1, 0);
    }
    ++counts[index];
  }
  ordered_json buckets = ordered_json::array();
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const auto from_s = static_cast<std::int64_t>(i) * request.bucket_s;
    const bool open = i == kMaxBuckets - 1;
    buckets.push_back({{"from_s", from_s},
                       {"to_s", open ? ordered_json() : ordered_json(from_s + request.bucket_s)},
                       {"count", counts[i]}});
  }
  ordered_json j = window_json(request, zone);
  j["bucket_s"] = request.bucket_s;
  j["buckets"] = std::move(buckets);
  j["invalid"] = invalid;
  return j;
}

ordered_json intervals_json(std::span<const timeline::IntervalDefinition> definitions) {
  ordered_json list = ordered_json::array();
  for (const timeline::IntervalDefinition& d : definitions) {
    ordered_json targets = ordered_json::object();
    ordered_json default_target;
    for (const auto& [priority, target] : d.targets) {
      (priority.empty() ? default_target : targets[priority]) = target.count();
    }
    ordered_json j;
    j["name"] = d.name;
    j["scope"] = std::string(timeline::to_string(d.scope));
    j["from"] = d.from;
    j["to"] = d.to;
    j["discipline"] = d.discipline.empty() ? ordered_json() : ordered_json(d.discipline);
    j["targets"] = std::move(targets);
    j["default_target_s"] = std::move(default_target);
    list.push_back(std::move(j));
  }
  return {{"intervals", std::move(list)}};
}

ordered_json overdue_json(std::int64_t now_us, std::span<const timeline::OverdueItem> items,
                          const mapping::TimeZone& zone) {
  ordered_json list = ordered_json::array();
  for (const timeline::OverdueItem& item : items) {
    ordered_json j;
    j["interval"] = item.interval;
    if (item.scope == timeline::Scope::order) {
      j["order_no"] = item.subject;
    } else if (item.scope == timeline::Scope::message) {
      j["message_id"] = item.subject;
    }
    j["visit_id"] = item.scope == timeline::Scope::visit ? item.subject : item.info.visit_id;
    j["patient_id"] = item.info.patient_id;
    j["department"] = item.info.department;
    j["priority"] = item.info.priority;
    j["service_code"] = item.info.service_code;
    j["modality"] = item.info.modality;
    j["started_at"] = format_iso(item.from_us, zone);
    j["age_s"] = seconds(item.age_us);
    j["target_s"] = seconds(item.target_us);
    list.push_back(std::move(j));
  }
  ordered_json j;
  j["now"] = format_iso(now_us, zone);
  j["items"] = std::move(list);
  return j;
}

}  // namespace hisbridge::admin
