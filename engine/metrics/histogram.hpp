#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace hisbridge::metrics {

// A histogram as a scrape sees it: counts per bucket, cumulative as the exposition writes them.
struct HistogramSnapshot {
  std::vector<double> bounds;             // upper bounds, ascending, without +Inf
  std::vector<std::uint64_t> cumulative;  // observations <= bounds[i]; one more entry: +Inf
  double sum = 0;
  // Equal to cumulative.back(): taken from the buckets, so `_count` always equals the `+Inf`
  // bucket even while observations come in during the scrape.
  std::uint64_t count = 0;
};

// Buckets for durations in seconds from half a millisecond to ten seconds: an ACK after a
// group commit takes a few milliseconds, one held up by a slow disk seconds.
std::vector<double> latency_buckets();
// `count` bounds: start, start*factor, start*factor^2, ... (start > 0, factor > 1).
std::vector<double> exponential_buckets(double start, double factor, std::size_t count);

// A Prometheus histogram (buckets `le` an upper bound, inclusive). observe() is lock-free: a
// binary search over the bounds, one relaxed atomic add on the bucket and a compare-and-swap on
// the sum, so it may sit on the ACK path. Thread-safe.
class Histogram {
 public:
  // `bounds`: finite, strictly ascending, at least one; +Inf is implied. Otherwise throws
  // std::invalid_argument (bounds come from code, never from input).
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // NaN lands in the +Inf bucket and makes the sum NaN, as the Go client does.
  void observe(double value) noexcept;
  HistogramSnapshot snapshot() const;
  std::span<const double> bounds() const noexcept { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket, not cumulative; +1 +Inf
  std::atomic<double> sum_{0};
};

}  // namespace hisbridge::metrics
