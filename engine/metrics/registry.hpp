#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/metrics/exposition.hpp"
#include "engine/metrics/histogram.hpp"
#include "engine/metrics/instruments.hpp"

namespace hisbridge::metrics {

enum class MetricType { counter, gauge, histogram };

// One value a collector reports at scrape time.
struct Sample {
  Labels labels;
  double value = 0;
};

struct HistogramSample {
  Labels labels;
  HistogramSnapshot snapshot;
};

// What a collector is: a function run at every scrape that appends the family's current
// samples, read from counters that live elsewhere (the router's, a listener's). It runs on the
// scraping thread with the registry locked, so it must be quick and must not call the registry.
using Collect = std::function<void(std::vector<Sample>&)>;
using CollectHistograms = std::function<void(std::vector<HistogramSample>&)>;

// The metrics of the process, written as the Prometheus text exposition format 0.0.4.
//
// A family (one metric name) holds either series owned here (counter(), gauge(), histogram():
// the returned reference stays valid for the registry's life and is updated lock-free) or
// collectors, any number of them, whose samples are read at scrape time: the engine's counters
// already are atomics, so they are read where they are rather than copied.
//
// Registration is for start-up code, with names from code: a name that is not `hisbridge_...`
// snake case, a counter not ending in `_total` (or another type ending in it), a bad label name
// (`le` on a histogram included), a name registered again with another type or help, or one
// that clashes with a histogram's `_bucket`/`_sum`/`_count` throws std::invalid_argument.
// Samples with a bad label name from a collector are left out of the scrape.
//
// Thread-safe. Collectors must outlive the registry, or at least its last expose().
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The series `name{labels}`, made at the first call; later calls with the same labels return
  // the same object.
  Counter& counter(std::string_view name, std::string_view help, Labels labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, Labels labels = {});
  // `bounds` as Histogram takes them; a second call with other bounds throws.
  Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                       Labels labels = {});

  // `type` is counter or gauge.
  void add_collector(std::string_view name, std::string_view help, MetricType type,
                     Collect collect);
  void add_histogram_collector(std::string_view name, std::string_view help,
                               CollectHistograms collect);

  // Every family in name order, each with its HELP and TYPE lines; a family without a sample
  // (a collector with nothing to report) is left out.
  std::string expose() const;

 private:
  struct Owned {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    MetricType type = MetricType::counter;
    std::string help;
    std::deque<Owned> owned;
    std::vector<Collect> collectors;
    std::vector<CollectHistograms> histogram_collectors;
  };

  // The family `name`, made when new; checks the name, type, help and suffix clashes.
  Family& family(std::string_view name, std::string_view help, MetricType type);
  Owned& owned(Family& f, Labels labels, MetricType type);
  static void write_family(std::string& out, const std::string& name, const Family& f);

  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;  // guarded by mutex_
};

}  // namespace hisbridge::metrics
