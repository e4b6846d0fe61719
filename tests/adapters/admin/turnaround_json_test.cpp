#include "adapters/admin/turnaround_json.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace hisbridge::admin {
namespace {

using nlohmann::ordered_json;
using timeline::Dimension;

constexpr std::int64_t kMarch5 = 1772643600LL * 1'000'000;  // 2026-03-05T00:00+07:00

const mapping::TimeZone& hanoi() {
  static const mapping::TimeZone zone = mapping::TimeZone::fixed(7 * 3600, "+07:00");
  return zone;
}

TurnaroundRequest request(std::int64_t bucket_s = 300) {
  TurnaroundRequest r;
  r.query.interval = "lab_order_to_final";
  r.query.from_us = kMarch5;
  r.query.to_us = kMarch5 + 86400LL * 1'000'000;
  r.group_by = {Dimension::priority, Dimension::department};
  r.bucket_s = bucket_s;
  return r;
}

timeline::IntervalRow row(double seconds, bool invalid = false) {
  timeline::IntervalRow r;
  r.duration_us = static_cast<std::int64_t>(seconds * 1e6);
  r.invalid = invalid;
  return r;
}

TEST(TurnaroundJsonTest, StatisticsGiveEveryFigureOfEveryGroup) {
  timeline::GroupStatistics stat;
  stat.key = {{Dimension::priority, "S"}, {Dimension::department, "CC"}};
  stat.count = 4;
  stat.mean_s = 1800.5;
  stat.p50_s = 1500;
  stat.p90_s = stat.p95_s = stat.p99_s = stat.max_s = 4000.25;
  stat.target_s = 3600;
  stat.breaches = 1;
  stat.invalid = 2;
  timeline::GroupStatistics empty;
  empty.key = {{Dimension::priority, "R"}, {Dimension::department, ""}};
  empty.invalid = 1;
  const std::vector<timeline::GroupStatistics> groups{stat, empty};

  const ordered_json j = statistics_json(request(), groups, hanoi());
  EXPECT_EQ(j.dump(),
            R"({"interval":"lab_order_to_final","from":"2026-03-05T00:00:00.000+07:00",)"
            R"("to":"2026-03-06T00:00:00.000+07:00","group_by":["priority","department"],)"
            R"("groups":[{"key":{"priority":"S","department":"CC"},"count":4,"mean_s":1800.5,)"
            R"("p50_s":1500.0,"p90_s":4000.25,"p95_s":4000.25,"p99_s":4000.25,"max_s":4000.25,)"
            R"("target_s":3600.0,"breaches":1,"breach_pct":25.0,"invalid":2},)"
            R"({"key":{"priority":"R","department":""},"count":0,"mean_s":null,"p50_s":null,)"
            R"("p90_s":null,"p95_s":null,"p99_s":null,"max_s":null,"target_s":null,)"
            R"("breaches":0,"breach_pct":null,"invalid":1}]})");
}

TEST(TurnaroundJsonTest, DistributionCountsPerBucketWithEmptyOnesBetween) {
  const std::vector<timeline::IntervalRow> rows{row(0), row(299.999999), row(300), row(1250),
                                                row(-60, true)};
  const ordered_json j = distribution_json(request(), rows, hanoi());
  EXPECT_EQ(j["bucket_s"], 300);
  EXPECT_EQ(j["invalid"], 1);
  EXPECT_EQ(j["buckets"].dump(),
            R"([{"from_s":0,"to_s":300,"count":2},{"from_s":300,"to_s":600,"count":1},)"
            R"({"from_s":600,"to_s":900,"count":0},{"from_s":900,"to_s":1200,"count":0},)"
            R"({"from_s":1200,"to_s":1500,"count":1}])");
  EXPECT_EQ(distribution_json(request(), {}, hanoi())["buckets"], ordered_json::array());
}

TEST(TurnaroundJsonTest, TheLastBucketIsOpenPastTheCap) {
  const std::vector<timeline::IntervalRow> rows{row(30), row(60.0 * 10'000), row(60.0 * 250)};
  const ordered_json j = distribution_json(request(60), rows, hanoi());
  ASSERT_EQ(j["buckets"].size(), kMaxBuckets);
  const ordered_json& last = j["buckets"].back();
  EXPECT_EQ(last["from_s"], 60 * (kMaxBuckets - 1));
  EXPECT_TRUE(last["to_s"].is_null());
  EXPECT_EQ(last["count"], 2);
  EXPECT_EQ(j["buckets"][0]["count"], 1);
}

TEST(TurnaroundJsonTest, IntervalsShowTargetsInSeconds) {
  std::vector<timeline::IntervalDefinition> d(2);
  d[0].name = "lab_order_to_final";
  d[0].from = "ordered";
  d[0].to = {"final"};
  d[0].discipline = "LAB";
  d[0].targets = {{"S", std::chrono::minutes(60)}, {"R", std::chrono::minutes(240)}};
  d[1].name = "patient_wait_to_service";
  d[1].scope = timeline::Scope::visit;
  d[1].from = "registered";
  d[1].to = {"collected", "started"};
  d[1].targets = {{"", std::chrono::minutes(30)}};
  EXPECT_EQ(intervals_json(d).dump(),
            R"({"intervals":[{"name":"lab_order_to_final","scope":"order","from":"ordered",)"
            R"("to":["final"],"discipline":"LAB","targets":{"R":14400,"S":3600},)"
            R"("default_target_s":null},{"name":"patient_wait_to_service","scope":"visit",)"
            R"("from":"registered","to":["collected","started"],"discipline":null,)"
            R"("targets":{},"default_target_s":1800}]})");
}

TEST(TurnaroundJsonTest, OverdueItemsNameTheirSubjectByScope) {
  timeline::OverdueItem order;
  order.interval = "lab_order_to_final";
  order.subject = "XN-1";
  order.info = {"LAB", "V1", "P1", "CC", "S", "GLU", ""};
  order.from_us = kMarch5;
  order.age_us = 5400LL * 1'000'000;
  order.target_us = 3600LL * 1'000'000;
  timeline::OverdueItem visit = order;
  visit.interval = "patient_wait_to_service";
  visit.scope = timeline::Scope::visit;
  visit.subject = "V2";
  visit.info = {};
  const std::vector<timeline::OverdueItem> items{order, visit};
  const ordered_json j = overdue_json(kMarch5 + 5400LL * 1'000'000, items, hanoi());
  EXPECT_EQ(j["now"], "2026-03-05T01:30:00.000+07:00");
  EXPECT_EQ(j["items"][0].dump(),
            R"({"interval":"lab_order_to_final","order_no":"XN-1","visit_id":"V1",)"
            R"("patient_id":"P1","department":"CC","priority":"S","service_code":"GLU",)"
            R"("modality":"","started_at":"2026-03-05T00:00:00.000+07:00","age_s":5400.0,)"
            R"("target_s":3600.0})");
  EXPECT_FALSE(j["items"][1].contains("order_no"));
  EXPECT_EQ(j["items"][1]["visit_id"], "V2");
}

}  // namespace
}  // namespace hisbridge::admin
