// The turnaround metrics as a scrape shows them: the histogram and invalid counter fed with
// recorded intervals, the bounded labels, and the overdue gauge read from a real SQLite
// timeline in a temp folder.
#include "engine/app/turnaround_metrics.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "engine/store/open_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge::app {
namespace {

namespace fs = std::filesystem;
using timeline::RecordedInterval;

constexpr std::int64_t kMinute = 60'000'000;

RecordedInterval interval(const std::string& name, std::int64_t minutes, const std::string& priority,
                          const std::string& department, bool first = true) {
  RecordedInterval r;
  r.interval = name;
  r.subject = name + std::to_string(minutes);
  r.from_us = 1'000 * kMinute;
  r.to_us = r.from_us + minutes * kMinute;
  r.invalid = minutes < 0;
  r.first = first;
  r.info.priority = priority;
  r.info.department = department;
  return r;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(TurnaroundMetricsTest, TheFirstDepartmentsKeepTheirNameTheRestAreOther) {
  LabelBound bound(2);
  EXPECT_EQ(bound.department("CC"), "CC");
  EXPECT_EQ(bound.department(""), "unknown");
  EXPECT_EQ(bound.department("KKB"), "KKB");
  EXPECT_EQ(bound.department("KNOI"), "other");
  EXPECT_EQ(bound.department("CC"), "CC") << "a department seen before keeps its name";
  EXPECT_EQ(LabelBound::priority("S"), "S");
  EXPECT_EQ(LabelBound::priority("R"), "R");
  EXPECT_EQ(LabelBound::priority(""), "unknown");
  EXPECT_EQ(LabelBound::priority("STAT"), "other");
}

TEST(TurnaroundMetricsTest, EachIntervalIsObservedOnceWhenFirstCompleteInvalidOnesCounted) {
  metrics::Registry registry;
  TurnaroundMetrics m(registry, timeline::default_intervals(), 1);
  const std::string before = registry.expose();
  EXPECT_TRUE(has_line(before, "hisbridge_turnaround_invalid_total{interval=\"lab_order_to_final\"} 0"))
      << "every interval's invalid count is there from the start";
  EXPECT_EQ(before.find("hisbridge_turnaround_seconds"), std::string::npos);

  m.observe(std::vector<RecordedInterval>{
      interval("lab_order_to_final", 50, "S", "CC"),
      interval("lab_order_to_final", 70, "S", "CC"),
      interval("lab_order_to_final", 30, "S", "KKB"),  // a second department: other
      interval("lab_order_to_final", 40, "S", "CC", false),  // an end moved: not again
      interval("lab_order_to_final", -5, "R", "CC"),
      interval("rad_exam_to_report", 600, "", "")});
  const std::string text = registry.expose();
  const std::string cc = R"({interval="lab_order_to_final",priority="S",department="CC")";
  EXPECT_TRUE(has_line(text, "hisbridge_turnaround_seconds_count" + cc + "} 2")) << text;
  EXPECT_TRUE(has_line(text, "hisbridge_turnaround_seconds_sum" + cc + "} 7200")) << text;
  EXPECT_TRUE(has_line(text, "hisbridge_turnaround_seconds_bucket" + cc + ",le=\"3600\"} 1"));
  EXPECT_TRUE(has_line(text, "hisbridge_turnaround_seconds_bucket" + cc + ",le=\"7200\"} 2"));
  EXPECT_TRUE(has_line(text, "hisbridge_turnaround_seconds_count{interval=\"lab_order_to_final\","
                             "priority=\"S\",department=\"other\"} 1"));
  EXPECT_TRUE(has_line(text, "hisbridge_turnaround_seconds_count{interval=\"rad_exam_to_report\","
                             "priority=\"unknown\",department=\"unknown\"} 1"));
  EXPECT_TRUE(has_line(text, "hisbridge_turnaround_invalid_total{interval=\"lab_order_to_final\"} 1"));
  EXPECT_EQ(text.find("priority=\"R\""), std::string::npos) << "the invalid one is not observed";
}

TEST(TurnaroundMetricsTest, OverdueOrdersAreCountedFromTheTimelineAtEachScrape) {
  const testing_support::TempDir temp("hisbridge-turnaround-metrics");
  const fs::path& dir = temp.path();
  const std::string location = (dir / "journal.db").string();
  {
    auto opened = timeline::open_timeline(location, timeline::default_intervals());
    ASSERT_TRUE(opened) << opened.error().message();
    const std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    // Two stat orders and a routine one without results for three hours; a stat one inside
    // its hour; a visit registered three hours ago.
    std::vector<timeline::Mark> marks;
    for (const auto& [order, priority, age] : {std::tuple{"O1", "S", 180}, {"O2", "S", 180},
                                                {"O3", "R", 180}, {"O4", "S", 10}}) {
      marks.push_back({timeline::Scope::order, order, "ordered", now - age * kMinute,
                       {"LAB", "", "", "CC", priority, "", ""}});
    }
    marks.push_back({timeline::Scope::visit, "V1", "registered", now - 180 * kMinute, {}});
    ASSERT_TRUE((*opened)->record(marks));
    auto shared = std::make_shared<admin::SharedTimeline>(std::move(*opened));

    config::Config config;
    auto store = store::open_store(location);
    ASSERT_TRUE(store);
    const router::Router router(std::move(*store), config);
    // A worker that has drained an empty inbox: nothing behind.
    auto drainer = timeline::open_timeline(location, timeline::default_intervals());
    ASSERT_TRUE(drainer);
    timeline::TimelineWorker worker(std::move(*drainer), nullptr);
    metrics::Registry registry;
    std::size_t held = 7;  // as the router and the deliveries would say
    register_timeline_metrics(registry, router, &worker, shared, [&held] { return held; },
                              std::chrono::hours(48));
    EXPECT_TRUE(has_line(registry.expose(), "hisbridge_timeline_held_marks 7"));
    held = 0;
    EXPECT_TRUE(has_line(registry.expose(), "hisbridge_timeline_backlog_batches 1"))
        << "not drained yet: unknown, so at least one";
    worker.start();
    for (int i = 0; i < 2000 && !worker.caught_up(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(worker.caught_up());
    const std::string text = registry.expose();
    EXPECT_TRUE(has_line(text, "hisbridge_timeline_backlog_batches 0")) << text;
    const auto gauge = [](const char* interval, const char* priority) {
      return std::string("hisbridge_overdue_orders{interval=\"") + interval +
             "\",priority=\"" + priority + "\"}";
    };
    EXPECT_TRUE(has_line(text, gauge("lab_order_to_final", "S") + " 2")) << text;
    EXPECT_TRUE(has_line(text, gauge("lab_order_to_final", "R") + " 0")) << "4 h target";
    EXPECT_TRUE(has_line(text, gauge("rad_exam_to_report", "S") + " 0"));
    EXPECT_TRUE(has_line(text, gauge("patient_wait_to_service", "unknown") + " 1"));
    EXPECT_TRUE(has_line(text, "hisbridge_timeline_errors_total 0"));
    EXPECT_TRUE(has_line(text, "hisbridge_timeline_events_skipped_total 0"));
    EXPECT_TRUE(has_line(text, "hisbridge_timeline_held_marks 0"));
    // Without a timeline, no gauge (a gap, not a false zero), the router's counters still.
    metrics::Registry without;
    register_timeline_metrics(without, router, nullptr, nullptr, nullptr, std::chrono::hours(48));
    EXPECT_EQ(without.expose().find("hisbridge_overdue_orders"), std::string::npos);
    EXPECT_EQ(without.expose().find("hisbridge_timeline_backlog_batches"), std::string::npos);
  }
}

}  // namespace
}  // namespace hisbridge::app
