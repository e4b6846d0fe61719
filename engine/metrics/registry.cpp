#include "engine/metrics/registry.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace hisbridge::metrics {
namespace {

constexpr std::array<std::string_view, 3> kHistogramSuffixes = {"_bucket", "_sum", "_count"};

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
  }
  return "untyped";
}

void check_labels(std::string_view name, const Labels& labels, MetricType type) {
  for (const auto& [key, value] : labels) {
    if (!valid_label_name(key) || (type == MetricType::histogram && key == "le")) {
      throw std::invalid_argument("metric " + std::string(name) + ": bad label name '" + key + "'");
    }
  }
}

bool labels_usable(const Labels& labels, MetricType type) {
  return std::all_of(labels.begin(), labels.end(), [type](const auto& label) {
    return valid_label_name(label.first) && !(type == MetricType::histogram && label.first == "le");
  });
}

void write_histogram(std::string& out, const std::string& name, const Labels& labels,
                     const HistogramSnapshot& h) {
  const std::string bucket = name + "_bucket";
  std::string le;
  for (std::size_t i = 0; i <= h.bounds.size(); ++i) {
    le.clear();
    if (i < h.bounds.size()) {
      append_value(le, h.bounds[i]);
    } else {
      le = "+Inf";
    }
    const std::pair<std::string_view, std::string_view> extra{"le", le};
    append_sample(out, bucket, labels, static_cast<double>(h.cumulative[i]), &extra);
  }
  append_sample(out, name + "_sum", labels, h.sum);
  append_sample(out, name + "_count", labels, static_cast<double>(h.count));
}

}  // namespace

Registry::Family& Registry::family(std::string_view name, std::string_view help, MetricType type) {
  if (!valid_metric_name(name)) {
    throw std::invalid_argument("metric name '" + std::string(name) +
                                "' is not hisbridge_ followed by snake case");
  }
  // promtool's lint: counters end in _total, nothing else does.
  if (name.ends_with("_total") != (type == MetricType::counter)) {
    throw std::invalid_argument("metric " + std::string(name) +
                                ": counters, and only counters, end in _total");
  }
  if (auto it = families_.find(name); it != families_.end()) {
    if (it->second.type != type || it->second.help != help) {
      throw std::invalid_argument("metric " + std::string(name) +
                                  " registered again with another type or help");
    }
    return it->second;
  }
  for (const std::string_view suffix : kHistogramSuffixes) {
    // A new histogram must not take the names of existing families, nor a new family those of
    // an existing histogram.
    const bool taken =
        (type == MetricType::histogram &&
         families_.contains(std::string(name) + std::string(suffix))) ||
        (name.ends_with(suffix) && [&] {
          auto base = families_.find(name.substr(0, name.size() - suffix.size()));
          return base != families_.end() && base->second.type == MetricType::histogram;
        }());
    if (taken) {
      throw std::invalid_argument("metric " + std::string(name) +
                                  " clashes with a histogram's series names");
    }
  }
  Family& f = families_[std::string(name)];
  f.type = type;
  f.help = std::string(help);
  return f;
}

Registry::Owned& Registry::owned(Family& f, Labels labels, MetricType type) {
  if (!f.collectors.empty() || !f.histogram_collectors.empty()) {
    throw std::invalid_argument("metric family has collectors; it cannot own series too");
  }
  for (Owned& o : f.owned) {
    if (o.labels == labels) {
      return o;
    }
  }
  Owned& o = f.owned.emplace_back();
  o.labels = std::move(labels);
  if (type == MetricType::counter) {
    o.counter = std::make_unique<Counter>();
  } else if (type == MetricType::gauge) {
    o.gauge = std::make_unique<Gauge>();
  }
  return o;
}

Counter& Registry::counter(std::string_view name, std::string_view help, Labels labels) {
  check_labels(name, labels, MetricType::counter);
  const std::lock_guard lock(mutex_);
  return *owned(family(name, help, MetricType::counter), std::move(labels), MetricType::counter)
              .counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, Labels labels) {
  check_labels(name, labels, MetricType::gauge);
  const std::lock_guard lock(mutex_);
  return *owned(family(name, help, MetricType::gauge), std::move(labels), MetricType::gauge).gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help,
                               std::vector<double> bounds, Labels labels) {
  check_labels(name, labels, MetricType::histogram);
  const std::lock_guard lock(mutex_);
  Family& f = family(name, help, MetricType::histogram);
  for (const Owned& o : f.owned) {
    const auto existing = o.histogram->bounds();
    if (!std::equal(existing.begin(), existing.end(), bounds.begin(), bounds.end())) {
      throw std::invalid_argument("histogram " + std::string(name) +
                                  " registered again with other bounds");
    }
  }
  Owned& o = owned(f, std::move(labels), MetricType::histogram);
  if (!o.histogram) {
    o.histogram = std::make_unique<Histogram>(std::move(bounds));
  }
  return *o.histogram;
}

void Registry::add_collector(std::string_view name, std::string_view help, MetricType type,
                             Collect collect) {
  if (type == MetricType::histogram) {
    throw std::invalid_argument("add_collector: use add_histogram_collector for histograms");
  }
  const std::lock_guard lock(mutex_);
  Family& f = family(name, help, type);
  if (!f.owned.empty()) {
    throw std::invalid_argument("metric " + std::string(name) + " owns series already");
  }
  f.collectors.push_back(std::move(collect));
}

void Registry::add_histogram_collector(std::string_view name, std::string_view help,
                                       CollectHistograms collect) {
  const std::lock_guard lock(mutex_);
  Family& f = family(name, help, MetricType::histogram);
  if (!f.owned.empty()) {
    throw std::invalid_argument("metric " + std::string(name) + " owns series already");
  }
  f.histogram_collectors.push_back(std::move(collect));
}

std::string Registry::expose() const {
  std::string out;
  out.reserve(16 * 1024);
  const std::lock_guard lock(mutex_);
  for (const auto& [name, f] : families_) {
    write_family(out, name, f);
  }
  return out;
}

void Registry::write_family(std::string& out, const std::string& name, const Family& f) {
  std::string body;
  for (const Owned& o : f.owned) {
    if (o.counter) {
      append_sample(body, name, o.labels, static_cast<double>(o.counter->value()));
    } else if (o.gauge) {
      append_sample(body, name, o.labels, o.gauge->value());
    } else if (o.histogram) {
      write_histogram(body, name, o.labels, o.histogram->snapshot());
    }
  }
  std::vector<Sample> samples;
  for (const Collect& collect : f.collectors) {
    collect(samples);
  }
  for (const Sample& s : samples) {
    if (labels_usable(s.labels, f.type)) {
      append_sample(body, name, s.labels, s.value);
    }
  }
  std::vector<HistogramSample> histograms;
  for (const CollectHistograms& collect : f.histogram_collectors) {
    collect(histograms);
  }
  for (const HistogramSample& h : histograms) {
    if (labels_usable(h.labels, f.type) &&
        h.snapshot.cumulative.size() == h.snapshot.bounds.size() + 1) {
      write_histogram(body, name, h.labels, h.snapshot);
    }
  }
  if (body.empty()) {
    return;
  }
  out.append("# HELP ").append(name).append(" ");
  append_help(out, f.help);
  out.append("\n# TYPE ").append(name).append(" ").append(type_name(f.type)).append("\n");
  out.append(body);
}

}  // namespace hisbridge::metrics
