#include "adapters/admin/turnaround_query.hpp"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace hisbridge::admin {
namespace {

using timeline::Dimension;

constexpr std::int64_t kMarch5 = 1772643600LL * 1'000'000;  // 2026-03-05T00:00+07:00
constexpr std::int64_t kNow = kMarch5 + (9 * 3600 + 30 * 60) * 1'000'000LL;  // 09:30 that day

const mapping::TimeZone& hanoi() {
  static const mapping::TimeZone zone = mapping::TimeZone::fixed(7 * 3600, "+07:00");
  return zone;
}

const std::vector<timeline::IntervalDefinition>& definitions() {
  static const std::vector<timeline::IntervalDefinition> d = [] {
    std::vector<timeline::IntervalDefinition> out(2);
    out[0].name = "lab_order_to_final";
    out[1].name = "rad_exam_to_report";
    return out;
  }();
  return d;
}

Result<TurnaroundRequest, ApiError> statistics(const QueryParams& params) {
  return parse_turnaround_request(params, TurnaroundEndpoint::statistics, definitions(), hanoi(),
                                  kNow);
}

Result<TurnaroundRequest, ApiError> distribution(const QueryParams& params) {
  return parse_turnaround_request(params, TurnaroundEndpoint::distribution, definitions(),
                                  hanoi(), kNow);
}

TEST(TurnaroundQueryTest, EveryParameterNarrowsTheRequest) {
  const auto r = statistics({{"interval", "rad_exam_to_report"},
                             {"from", "2026-03-01"},
                             {"to", "2026-03-05T08:00:00+07:00"},
                             {"group_by", "priority,department"},
                             {"department", "KHOA-NOI"},
                             {"priority", "S"},
                             {"service_code", "CT01"},
                             {"modality", "CT"}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->definition, &definitions()[1]);
  EXPECT_EQ(r->query.interval, "rad_exam_to_report");
  EXPECT_EQ(r->query.from_us, kMarch5 - 4 * 86400 * 1'000'000LL);
  EXPECT_EQ(r->query.to_us, kMarch5 + 8 * 3600 * 1'000'000LL);
  EXPECT_EQ(r->group_by, (std::vector<Dimension>{Dimension::priority, Dimension::department}));
  const std::vector<std::pair<Dimension, std::string>> filters{
      {Dimension::department, "KHOA-NOI"},
      {Dimension::priority, "S"},
      {Dimension::service_code, "CT01"},
      {Dimension::modality, "CT"}};
  EXPECT_EQ(r->query.filters, filters);
}

TEST(TurnaroundQueryTest, TheWindowDefaultsToTodayInTheEnginesZoneUntilNow) {
  const auto r = statistics({{"interval", "lab_order_to_final"}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->query.from_us, kMarch5);
  EXPECT_EQ(r->query.to_us, kNow);
  EXPECT_TRUE(r->group_by.empty());
  EXPECT_TRUE(r->query.filters.empty());
  // 02:00 in Hanoi is still the previous day in UTC: the day is the zone's.
  EXPECT_EQ(start_of_day_us(kMarch5 + 2 * 3600 * 1'000'000LL, hanoi()), kMarch5);
  EXPECT_EQ(start_of_day_us(kMarch5 - 1, hanoi()), kMarch5 - 86400 * 1'000'000LL);
}

TEST(TurnaroundQueryTest, AnUnknownIntervalIs404ListingTheKnownOnes) {
  const auto r = statistics({{"interval", "lab_order_to_finale"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 404u);
  EXPECT_EQ(r.error().message,
            "no such interval 'lab_order_to_finale' (known: lab_order_to_final, "
            "rad_exam_to_report)");
  const auto missing = statistics({});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().status, 400u);
  EXPECT_NE(missing.error().message.find("parameter 'interval' is required"), std::string::npos);
}

TEST(TurnaroundQueryTest, ErrorsNameTheParameter) {
  const std::pair<QueryParams, std::string> cases[] = {
      {{{"from", "yesterday"}}, "parameter 'from'"},
      {{{"to", "2026-02-30"}}, "parameter 'to'"},
      {{{"from", "2026-03-06"}, {"to", "2026-03-05"}}, "parameter 'to'"},
      {{{"from", "2026-03-06"}}, "parameter 'from'"},  // after now, no `to`
      {{{"group_by", "ward"}}, "parameter 'group_by': 'ward'"},
      {{{"group_by", "priority,priority"}}, "'priority' is given twice"},
      {{{"group_by", "priority,"}}, "parameter 'group_by': ''"},
      {{{"bucket_s", "300"}}, "unknown parameter 'bucket_s'"},
      {{{"dept", "X"}}, "unknown parameter 'dept'"},
  };
  for (const auto& [params, named] : cases) {
    QueryParams with_interval = params;
    with_interval.emplace_back("interval", "lab_order_to_final");
    const auto r = statistics(with_interval);
    ASSERT_FALSE(r) << named;
    EXPECT_EQ(r.error().status, 400u) << named;
    EXPECT_NE(r.error().message.find(named), std::string::npos) << r.error().message;
  }
}

TEST(TurnaroundQueryTest, DistributionTakesABucketWidthInsteadOfGroups) {
  const auto r = distribution({{"interval", "lab_order_to_final"}, {"bucket_s", "600"}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->bucket_s, 600);
  EXPECT_EQ(distribution({{"interval", "lab_order_to_final"}})->bucket_s, kDefaultBucketSeconds);
  for (const char* bad : {"0", "-5", "604801", "5m", ""}) {
    const auto e = distribution({{"interval", "lab_order_to_final"}, {"bucket_s", bad}});
    ASSERT_FALSE(e) << bad;
    EXPECT_NE(e.error().message.find("parameter 'bucket_s'"), std::string::npos) << bad;
  }
  const auto grouped = distribution({{"interval", "lab_order_to_final"}, {"group_by", "priority"}});
  ASSERT_FALSE(grouped);
  EXPECT_NE(grouped.error().message.find("unknown parameter 'group_by'"), std::string::npos);
}

TEST(TurnaroundQueryTest, OverdueTakesAnIntervalAndALimit) {
  const auto all = parse_overdue_request({}, definitions());
  ASSERT_TRUE(all);
  EXPECT_EQ(all->definition, nullptr);
  EXPECT_EQ(all->limit, kDefaultOverdueLimit);
  const auto one =
      parse_overdue_request({{"interval", "rad_exam_to_report"}, {"limit", "5"}}, definitions());
  ASSERT_TRUE(one);
  EXPECT_EQ(one->definition, &definitions()[1]);
  EXPECT_EQ(one->limit, 5u);
  const auto unknown = parse_overdue_request({{"interval", "x"}}, definitions());
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().status, 404u);
  const auto limit = parse_overdue_request({{"limit", "5001"}}, definitions());
  ASSERT_FALSE(limit);
  EXPECT_NE(limit.error().message.find("parameter 'limit'"), std::string::npos);
  const auto typo = parse_overdue_request({{"priority", "S"}}, definitions());
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("unknown parameter 'priority'"), std::string::npos);
}

}  // namespace
}  // namespace hisbridge::admin
