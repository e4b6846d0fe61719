#include "engine/app/turnaround_metrics.hpp"

#include <spdlog/spdlog.h>

namespace hisbridge::app {
namespace {

constexpr const char* kTurnaroundName = "hisbridge_turnaround_seconds";
constexpr const char* kTurnaroundHelp =
    "Turnaround intervals as they complete (to end minus from end), by interval, priority and "
    "department (the first turnaround.metric_departments departments seen, then `other`).";
constexpr const char* kInvalidName = "hisbridge_turnaround_invalid_total";
constexpr const char* kInvalidHelp =
    "Intervals whose to end came before their from end (kept out of the statistics).";

const std::string kUnknown = "unknown";
const std::string kOther = "other";

}  // namespace

std::vector<double> turnaround_buckets() {
  return {60, 300, 600, 900, 1800, 2700, 3600, 7200, 14400, 28800, 86400, 172800};
}

const std::string& LabelBound::department(const std::string& value) {
  if (value.empty()) {
    return kUnknown;
  }
  if (const auto it = seen_.find(value); it != seen_.end()) {
    return it->second;
  }
  if (seen_.size() >= max_) {
    return kOther;
  }
  return seen_.try_emplace(value, value).first->second;
}

const std::string& LabelBound::priority(const std::string& value) {
  static const std::string kStat = "S";
  static const std::string kRoutine = "R";
  if (value.empty()) {
    return kUnknown;
  }
  return value == kStat ? kStat : value == kRoutine ? kRoutine : kOther;
}

TurnaroundMetrics::TurnaroundMetrics(metrics::Registry& registry,
                                     std::span<const timeline::IntervalDefinition> definitions,
                                     std::size_t max_departments)
    : registry_(registry), labels_(max_departments) {
  // Every configured interval's invalid count shows from the start, at zero: an alert on its
  // rate needs the series before the first invalid one.
  for (const timeline::IntervalDefinition& d : definitions) {
    invalid(d.name);
  }
}

metrics::Histogram& TurnaroundMetrics::histogram(const std::string& interval,
                                                 const std::string& priority,
                                                 const std::string& department) {
  auto key = std::make_tuple(interval, priority, department);
  auto it = histograms_.find(key);
  if (it == histograms_.end()) {
    metrics::Histogram& h = registry_.histogram(
        kTurnaroundName, kTurnaroundHelp, turnaround_buckets(),
        {{"interval", interval}, {"priority", priority}, {"department", department}});
    it = histograms_.emplace(std::move(key), &h).first;
  }
  return *it->second;
}

metrics::Counter& TurnaroundMetrics::invalid(const std::string& interval) {
  auto it = invalid_.find(interval);
  if (it == invalid_.end()) {
    metrics::Counter& c = registry_.counter(kInvalidName, kInvalidHelp, {{"interval", interval}});
    it = invalid_.emplace(interval, &c).first;
  }
  return *it->second;
}

void TurnaroundMetrics::observe(std::span<const timeline::RecordedInterval> recorded) {
  const std::lock_guard lock(mutex_);
  for (const timeline::RecordedInterval& r : recorded) {
    if (!r.first) {
      continue;
    }
    if (r.invalid) {
      invalid(r.interval).inc();
      continue;
    }
    const std::string& priority = LabelBound::priority(r.info.priority);
    const std::string& department = labels_.department(r.info.department);
    histogram(r.interval, priority, department)
        .observe(static_cast<double>(r.to_us - r.from_us) / 1e6);
  }
}

void register_timeline_metrics(metrics::Registry& r, const router::Router& router,
                               const timeline::TimelineWorker* worker,
                               std::shared_ptr<admin::SharedTimeline> timeline,
                               std::function<std::size_t()> held_marks,
                               std::chrono::seconds overdue_lookback) {
  r.add_collector("hisbridge_timeline_held_marks",
                  "Turnaround marks held in memory because the timeline's inbox could not take "
                  "them (handed again at least once a second; 0 normally).",
                  metrics::MetricType::gauge, [held_marks = std::move(held_marks)](auto& out) {
                    out.push_back({{}, static_cast<double>(held_marks ? held_marks() : 0)});
                  });
  r.add_collector(
      "hisbridge_timeline_errors_total",
      "Batches whose turnaround marks could not be handed over or recorded (delivery went on).",
      metrics::MetricType::counter, [&router, worker](auto& out) {
        const std::uint64_t errors =
            router.counters().timeline_errors.load(std::memory_order_relaxed) +
            (worker != nullptr ? worker->errors() : 0);
        out.push_back({{}, static_cast<double>(errors)});
      });
  r.add_collector(
      "hisbridge_timeline_events_skipped_total",
      "Clinical events left off the timeline because their time could not be read.",
      metrics::MetricType::counter, [&router](auto& out) {
        out.push_back({{}, static_cast<double>(router.counters().timeline_skipped_events.load(
                               std::memory_order_relaxed))});
      });
  if (worker != nullptr) {
    r.add_collector("hisbridge_timeline_backlog_batches",
                    "Batches of turnaround marks handed to the timeline and not yet recorded "
                    "(0 once the timeline has caught up).",
                    metrics::MetricType::gauge, [worker](auto& out) {
                      out.push_back({{}, static_cast<double>(worker->backlog())});
                    });
  }
  if (!timeline) {
    return;
  }
  const auto lookback_us =
      std::chrono::duration_cast<std::chrono::microseconds>(overdue_lookback).count();
  r.add_collector(
      "hisbridge_overdue_orders",
      "Orders (and visits) whose clock runs past its target now, by interval and priority.",
      metrics::MetricType::gauge, [timeline, lookback_us](auto& out) {
        std::map<std::pair<std::string, std::string>, double> counts;
        for (const timeline::IntervalDefinition& d : timeline->definitions()) {
          if (!d.targets.empty()) {
            counts[{d.name, "S"}] = 0;
            counts[{d.name, "R"}] = 0;
          }
        }
        timeline::OverdueQuery query;
        query.now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
        query.lookback_us = lookback_us;
        query.limit = kOverdueGaugeLimit;
        auto items = timeline->with([&](timeline::TimelineStore& t) { return t.overdue(query); });
        if (!items) {
          spdlog::warn("metrics: overdue orders could not be read: {}", items.error().message());
          return;  // no samples: a gap in the graph, not a false zero
        }
        for (const timeline::OverdueItem& item : *items) {
          counts[{item.interval, LabelBound::priority(item.info.priority)}] += 1;
        }
        for (const auto& [key, n] : counts) {
          out.push_back({{{"interval", key.first}, {"priority", key.second}}, n});
        }
      });
}

}  // namespace hisbridge::app
