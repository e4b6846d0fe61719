// The turnaround query against its target: a SQLite timeline holding 1,000,000 intervals over
// a year (the seven default intervals in a hospital's mix: visits with one or two lab orders,
// a third with an imaging order, two messages per order; 20% stat; 20 departments, a few
// large ones) is filled once per run through TimelineStore::record(), then
// intervals() + summarize() grouped by priority run over a day, a week and 30 days, as the
// admin API answers /api/v1/turnaround. Each prints its latency p50/p95 per query and p95 as a
// fraction of the 100 ms target; a bare SELECT count(*) over the same index range, on its own
// connection, is the baseline measured in the same run.
//
// The file goes to HISBRIDGE_BENCH_DIR when set, else the system temp folder, and is removed
// at the end.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/timeline/statistics.hpp"
#include "engine/timeline/timeline_store.hpp"

namespace {

namespace fs = std::filesystem;
using namespace hisbridge::timeline;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kDay = 24 * 60 * kMinute;
constexpr std::int64_t kYearStart = 1741132800LL * kSecond;  // 2025-03-05T00:00Z
constexpr std::int64_t kYearEnd = kYearStart + 365 * kDay;
constexpr std::size_t kIntervals = 1'000'000;
constexpr double kTargetMs = 100;

const fs::path& bench_file() {
  static const fs::path file = [] {
    const char* env = std::getenv("HISBRIDGE_BENCH_DIR");
    const fs::path dir = env != nullptr && *env != '\0' ? fs::path(env) : fs::temp_directory_path();
    return dir / ("hisbridge_turnaround_bench_" + std::to_string(::getpid()) + ".db");
  }();
  return file;
}

// One visit after another, each with its orders, results and messages, at times spread evenly
// over the year; durations drawn from exponential distributions with a seeded generator, so
// every run fills the same data.
class HospitalYear {
 public:
  // Appends one visit's marks; returns the number of intervals they make.
  std::size_t visit(std::int64_t registered_at, std::vector<Mark>& out) {
    const std::string visit_id = "V" + std::to_string(++visits_);
    SubjectInfo info;
    info.visit_id = visit_id;
    info.patient_id = "P" + std::to_string(visits_ % 40'000);
    info.department = department();
    info.priority = chance(0.2) ? "S" : "R";
    out.push_back({Scope::visit, visit_id, "registered", registered_at, info});
    std::size_t made = 1;  // patient_wait_to_service
    const int lab_orders = chance(0.5) ? 2 : 1;
    for (int i = 0; i < lab_orders; ++i) {
      made += lab_order(registered_at, info, out);
    }
    if (chance(0.35)) {
      made += rad_order(registered_at, info, out);
    }
    return made;
  }

 private:
  std::int64_t exp_minutes(double mean) {
    return static_cast<std::int64_t>(std::exponential_distribution<double>(1.0 / mean)(rng_) *
                                     static_cast<double>(kMinute)) + kSecond;
  }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  // In the last two days of the year some results are not out yet: clocks still running.
  bool pending(std::int64_t registered) {
    return registered > kYearEnd - 2 * kDay && chance(0.3);
  }

  // Zipf-like: the first departments (the outpatient clinic, the emergency room) send most.
  std::string department() {
    static const std::vector<double> weights = [] {
      std::vector<double> w;
      for (int k = 1; k <= 20; ++k) {
        w.push_back(1.0 / k);
      }
      return w;
    }();
    const auto k = std::discrete_distribution<int>(weights.begin(), weights.end())(rng_);
    return "KHOA_" + std::to_string(k + 1);
  }

  // An event on the order and, as the mapping marks it, on its visit.
  static void event(std::vector<Mark>& out, const std::string& order_no, const SubjectInfo& info,
                    const char* kind, std::int64_t at) {
    out.push_back({Scope::order, order_no, kind, at, info});
    out.push_back({Scope::visit, info.visit_id, kind, at, info});
  }

  // An ORM and an ORU for each order, each delivered a few hundred ms after its receipt.
  void messages(std::vector<Mark>& out, std::int64_t ordered, std::int64_t final_at) {
    for (const std::int64_t received : {ordered + kSecond, final_at + kSecond}) {
      const std::string id = std::to_string(++messages_);
      out.push_back({Scope::message, id, std::string(kAccepted), received, {}});
      out.push_back({Scope::message, id, std::string(kDelivered),
                     received + exp_minutes(0.005) - kSecond + 1000, {}});
    }
  }

  std::size_t lab_order(std::int64_t registered, SubjectInfo info, std::vector<Mark>& out) {
    const std::string order_no = "L" + std::to_string(++orders_);
    info.discipline = "LAB";
    info.service_code = chance(0.5) ? "CBC" : (chance(0.5) ? "GLU" : "CRP");
    const bool stat = info.priority == "S";
    const std::int64_t ordered = registered + exp_minutes(10);
    const std::int64_t collected = ordered + exp_minutes(stat ? 5 : 15);
    const std::int64_t received = collected + exp_minutes(stat ? 8 : 20);
    // One result in 300 carries a clock that runs backwards (an invalid interval).
    const std::int64_t final_at =
        chance(1.0 / 300) ? ordered - exp_minutes(5) : received + exp_minutes(stat ? 30 : 110);
    event(out, order_no, info, "ordered", ordered);
    event(out, order_no, info, "collected", collected);
    event(out, order_no, info, "received", received);
    if (pending(registered)) {
      return 1;  // collection to receipt; its clock to the result still runs
    }
    event(out, order_no, info, "final", final_at);
    messages(out, ordered, final_at);
    return 3 + 2;  // order, receipt and collection intervals; two deliveries
  }

  std::size_t rad_order(std::int64_t registered, SubjectInfo info, std::vector<Mark>& out) {
    const std::string order_no = "R" + std::to_string(++orders_);
    info.discipline = "RAD";
    info.service_code = chance(0.6) ? "XQ_NGUC" : "CT_SO";
    info.modality = info.service_code == "CT_SO" ? "CT" : "CR";
    const bool stat = info.priority == "S";
    const std::int64_t ordered = registered + exp_minutes(15);
    const std::int64_t started = ordered + exp_minutes(30);
    const std::int64_t completed = started + exp_minutes(15);
    const std::int64_t final_at = completed + exp_minutes(stat ? 40 : 600);
    event(out, order_no, info, "ordered", ordered);
    event(out, order_no, info, "started", started);
    event(out, order_no, info, "completed", completed);
    if (pending(registered)) {
      return 0;
    }
    event(out, order_no, info, "final", final_at);
    messages(out, ordered, final_at);
    return 2 + 2;
  }

  std::mt19937_64 rng_{20260305};
  std::size_t visits_ = 0;
  std::size_t orders_ = 0;
  std::size_t messages_ = 0;
};

// Fills the file once, in calls of about 500 visits (one transaction each), and reports how
// long it took.
void fill(TimelineStore& timeline) {
  HospitalYear year;
  std::vector<Mark> marks;
  std::size_t intervals = 0;
  std::size_t recorded = 0;
  std::size_t visits = 0;
  const auto started = Clock::now();
  while (intervals < kIntervals) {
    const auto at = kYearStart + static_cast<std::int64_t>(static_cast<double>(intervals) /
                                                          kIntervals * (kYearEnd - kYearStart));
    intervals += year.visit(at, marks);
    ++visits;
    if (visits % 500 == 0 || intervals >= kIntervals) {
      auto done = timeline.record(marks);
      if (!done) {
        std::fprintf(stderr, "fill: %s\n", done.error().message().c_str());
        std::exit(1);
      }
      recorded += done->size();
      marks.clear();
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::printf("filled %zu intervals (%zu visits) through record() in %.1f s: %.0f intervals/s\n",
              recorded, visits, seconds, static_cast<double>(recorded) / seconds);
}

std::unique_ptr<TimelineStore> the_reader;

// The reader, on its own connection as the admin API's; the file is filled at the first call.
TimelineStore& reader() {
  if (!the_reader) {
    auto writer = open_timeline(bench_file().string(), default_intervals());
    if (!writer) {
      std::fprintf(stderr, "open: %s\n", writer.error().message().c_str());
      std::exit(1);
    }
    fill(**writer);
    writer->reset();
    auto opened = open_timeline(bench_file().string(), default_intervals());
    if (!opened) {
      std::exit(1);
    }
    the_reader = std::move(*opened);
  }
  return *the_reader;
}

const IntervalDefinition& definition(std::string_view name) {
  for (const IntervalDefinition& d : reader().definitions()) {
    if (d.name == name) {
      return d;
    }
  }
  std::abort();
}

// Per-query latency percentiles of the timed loop, as counters.
class Latencies {
 public:
  void add(Clock::duration d) { ms_.push_back(std::chrono::duration<double, std::milli>(d).count()); }
  double mean_ms() const {
    double sum = 0;
    for (const double m : ms_) {
      sum += m;
    }
    return ms_.empty() ? 0 : sum / static_cast<double>(ms_.size());
  }
  void report(benchmark::State& state) {
    std::sort(ms_.begin(), ms_.end());
    const auto at = [&](std::size_t p) { return ms_[(p * ms_.size() + 99) / 100 - 1]; };
    state.counters["p50_ms"] = at(50);
    state.counters["p95_ms"] = at(95);
    state.counters["p95_of_target"] = at(95) / kTargetMs;
  }

 private:
  std::vector<double> ms_;
};

IntervalQuery window(std::string interval, std::int64_t days) {
  IntervalQuery q;
  q.interval = std::move(interval);
  q.to_us = kYearEnd;
  q.from_us = kYearEnd - days * kDay;
  return q;
}

// intervals() + summarize() by priority: what /api/v1/turnaround does for one interval.
void BM_TurnaroundQuery(benchmark::State& state) {
  TimelineStore& timeline = reader();
  const IntervalQuery q = window("lab_order_to_final", state.range(0));
  const IntervalDefinition& d = definition(q.interval);
  const Dimension by[] = {Dimension::priority};
  Latencies latencies;
  Clock::duration reading{};
  std::size_t rows = 0;
  for (auto _ : state) {
    const auto begin = Clock::now();
    auto found = timeline.intervals(q);
    const auto read = Clock::now();
    const auto groups = summarize(*found, d, by);
    benchmark::DoNotOptimize(groups.data());
    latencies.add(Clock::now() - begin);
    reading += read - begin;
    rows = found->size();
  }
  state.counters["rows"] = static_cast<double>(rows);
  // The share of the time spent in intervals(), the rest in summarize().
  state.counters["read_share"] =
      std::chrono::duration<double>(reading).count() /
      std::max(1e-9, static_cast<double>(state.iterations()) * 1e-3 * latencies.mean_ms());
  latencies.report(state);
}

// Every one of the seven intervals over the window: a dashboard refresh.
void BM_TurnaroundAllIntervals(benchmark::State& state) {
  TimelineStore& timeline = reader();
  const Dimension by[] = {Dimension::priority};
  Latencies latencies;
  for (auto _ : state) {
    const auto begin = Clock::now();
    for (const IntervalDefinition& d : timeline.definitions()) {
      auto found = timeline.intervals(window(d.name, state.range(0)));
      const auto groups = summarize(*found, d, by);
      benchmark::DoNotOptimize(groups.data());
    }
    latencies.add(Clock::now() - begin);
  }
  latencies.report(state);
}

// The baseline: counting the same index range with a bare statement, no rows copied out.
void BM_CountBaseline(benchmark::State& state) {
  reader();  // filled
  sqlite3* db = nullptr;
  sqlite3_open_v2(bench_file().c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT count(*) FROM timeline_intervals WHERE interval_name = ?1"
                     " AND to_us >= ?2 AND to_us < ?3",
                     -1, &s, nullptr);
  const IntervalQuery q = window("lab_order_to_final", state.range(0));
  sqlite3_bind_text(s, 1, q.interval.c_str(), -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, q.from_us);
  sqlite3_bind_int64(s, 3, q.to_us);
  Latencies latencies;
  std::int64_t rows = 0;
  for (auto _ : state) {
    const auto begin = Clock::now();
    sqlite3_step(s);
    rows = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    latencies.add(Clock::now() - begin);
  }
  state.counters["rows"] = static_cast<double>(rows);
  latencies.report(state);
  sqlite3_finalize(s);
  sqlite3_close(db);
}

// Running clocks over target in the last 48 h, at the end of the year.
void BM_Overdue(benchmark::State& state) {
  TimelineStore& timeline = reader();
  Latencies latencies;
  std::size_t items = 0;
  for (auto _ : state) {
    const auto begin = Clock::now();
    auto found = timeline.overdue({kYearEnd, 48 * 60 * kMinute, 500});
    latencies.add(Clock::now() - begin);
    items = found ? found->size() : 0;
  }
  state.counters["items"] = static_cast<double>(items);
  latencies.report(state);
}

// Ingest cost: what recording costs the router per message (record() calls of a batch's
// marks, against this same filled file) belongs here, beside the query figures.

}  // namespace

BENCHMARK(BM_CountBaseline)->Arg(1)->Arg(7)->Arg(30)->Iterations(200)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TurnaroundQuery)->Arg(1)->Iterations(200)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TurnaroundQuery)->Arg(7)->Iterations(100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TurnaroundQuery)->Arg(30)->Iterations(40)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TurnaroundAllIntervals)->Arg(30)->Iterations(10)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Overdue)->Iterations(50)->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  the_reader.reset();
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    fs::remove(bench_file().string() + suffix, ec);
  }
  return 0;
}
