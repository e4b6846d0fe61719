#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "adapters/admin/shared_timeline.hpp"
#include "engine/metrics/registry.hpp"
#include "engine/router/router.hpp"
#include "engine/timeline/interval_definition.hpp"
#include "engine/timeline/timeline_store.hpp"
#include "engine/timeline/timeline_worker.hpp"

namespace hisbridge::app {

// Bucket bounds of hisbridge_turnaround_seconds: one minute to two days, where laboratory and
// radiology targets lie (STAT 60 min, routine 4 h, reports 24 h).
std::vector<double> turnaround_buckets();

// The label values of a series must stay few whatever the messages say (every value is a
// series Prometheus keeps): the first `max` distinct departments get their own value, later
// ones `other`; an empty one is `unknown`. Priorities are S, R, `unknown` (empty) or `other`.
class LabelBound {
 public:
  explicit LabelBound(std::size_t max) : max_(max) {}
  const std::string& department(const std::string& value);
  static const std::string& priority(const std::string& value);

 private:
  std::size_t max_;
  std::map<std::string, std::string, std::less<>> seen_;  // value -> itself
};

// The turnaround histogram and invalid counter, fed with what the router's record() calls
// report (RouterTimeline::on_recorded). Each interval is observed once, when it is first
// complete; a later message that moves an end changes the API's figures, not the histogram's.
//   hisbridge_turnaround_seconds{interval, priority, department}   histogram
//   hisbridge_turnaround_invalid_total{interval}                   counter (to before from)
class TurnaroundMetrics {
 public:
  TurnaroundMetrics(metrics::Registry& registry,
                    std::span<const timeline::IntervalDefinition> definitions,
                    std::size_t max_departments);
  TurnaroundMetrics(const TurnaroundMetrics&) = delete;
  TurnaroundMetrics& operator=(const TurnaroundMetrics&) = delete;

  // Thread-safe; called on the router's thread once per batch.
  void observe(std::span<const timeline::RecordedInterval> recorded);

 private:
  metrics::Histogram& histogram(const std::string& interval, const std::string& priority,
                                const std::string& department);
  metrics::Counter& invalid(const std::string& interval);

  metrics::Registry& registry_;
  std::mutex mutex_;
  LabelBound labels_;  // guarded by mutex_
  // The registry's series, found once: observe() then takes no registry lock.
  std::map<std::tuple<std::string, std::string, std::string>, metrics::Histogram*>
      histograms_;                                       // guarded by mutex_
  std::map<std::string, metrics::Counter*, std::less<>> invalid_;  // guarded by mutex_
};

// Caps the overdue gauge's query: a count at this value means at least this many.
inline constexpr std::size_t kOverdueGaugeLimit = 10000;

// hisbridge_overdue_orders{interval, priority}: running clocks past their target, asked of
// `timeline` at every scrape (TimelineStore::overdue: an indexed read of the running clocks),
// zero for every interval with targets and each of S and R; the timeline's counters:
// hisbridge_timeline_errors_total (batches whose marks could not be handed over or recorded),
// hisbridge_timeline_events_skipped_total (events whose time could not be read); and, with a
// worker, hisbridge_timeline_backlog_batches (handed over, not yet recorded);
// hisbridge_timeline_held_marks: what `held_marks` says at each scrape (marks the inbox did
// not take yet, held in memory).
void register_timeline_metrics(metrics::Registry& registry, const router::Router& router,
                               const timeline::TimelineWorker* worker,
                               std::shared_ptr<admin::SharedTimeline> timeline,
                               std::function<std::size_t()> held_marks,
                               std::chrono::seconds overdue_lookback);

}  // namespace hisbridge::app
