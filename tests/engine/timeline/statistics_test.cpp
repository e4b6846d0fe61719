#include "engine/timeline/statistics.hpp"

#include <gtest/gtest.h>

namespace hisbridge::timeline {
namespace {

using std::chrono::minutes;

constexpr std::int64_t kSecond = 1'000'000;

IntervalRow row(double seconds, std::string priority = "R", std::string department = "KHOA_A") {
  IntervalRow r;
  r.duration_us = static_cast<std::int64_t>(seconds * kSecond);
  r.invalid = r.duration_us < 0;
  r.priority = std::move(priority);
  r.department = std::move(department);
  return r;
}

std::vector<IntervalRow> seconds_1_to(int n) {
  std::vector<IntervalRow> rows;
  for (int i = n; i >= 1; --i) {  // given unsorted on purpose
    rows.push_back(row(i));
  }
  return rows;
}

IntervalDefinition lab_order_to_final() {
  IntervalDefinition d;
  d.name = "lab_order_to_final";
  d.targets = {{"S", minutes(60)}, {"R", minutes(240)}};
  return d;
}

GroupStatistics one(std::span<const IntervalRow> rows, const IntervalDefinition& d = {}) {
  const auto groups = summarize(rows, d, {});
  EXPECT_EQ(groups.size(), 1u);
  return groups.empty() ? GroupStatistics{} : groups.front();
}

TEST(StatisticsTest, NearestRankOverTenValues) {
  const auto rows = seconds_1_to(10);
  const auto g = one(rows);
  EXPECT_EQ(g.count, 10u);
  EXPECT_DOUBLE_EQ(g.mean_s, 5.5);
  EXPECT_DOUBLE_EQ(g.p50_s, 5);   // rank ceil(5) = 5
  EXPECT_DOUBLE_EQ(g.p90_s, 9);   // rank ceil(9) = 9, not 10 from 0.9 * 10 in floating point
  EXPECT_DOUBLE_EQ(g.p95_s, 10);  // rank ceil(9.5) = 10
  EXPECT_DOUBLE_EQ(g.p99_s, 10);
  EXPECT_DOUBLE_EQ(g.max_s, 10);
}

TEST(StatisticsTest, NearestRankAtSmallCounts) {
  const auto one_row = seconds_1_to(1);
  const auto g1 = one(one_row);
  EXPECT_DOUBLE_EQ(g1.p50_s, 1);
  EXPECT_DOUBLE_EQ(g1.p99_s, 1);

  const std::vector<IntervalRow> three = {row(5), row(1), row(3)};
  const auto g3 = one(three);
  EXPECT_DOUBLE_EQ(g3.p50_s, 3);  // rank ceil(1.5) = 2
  EXPECT_DOUBLE_EQ(g3.p90_s, 5);  // rank ceil(2.7) = 3
  EXPECT_DOUBLE_EQ(g3.mean_s, 3);

  const auto twenty = seconds_1_to(20);
  const auto g20 = one(twenty);
  EXPECT_DOUBLE_EQ(g20.p50_s, 10);
  EXPECT_DOUBLE_EQ(g20.p90_s, 18);
  EXPECT_DOUBLE_EQ(g20.p95_s, 19);
  EXPECT_DOUBLE_EQ(g20.p99_s, 20);  // rank ceil(19.8) = 20

  const auto hundred = seconds_1_to(100);
  const auto g100 = one(hundred);
  EXPECT_DOUBLE_EQ(g100.p50_s, 50);
  EXPECT_DOUBLE_EQ(g100.p95_s, 95);
  EXPECT_DOUBLE_EQ(g100.p99_s, 99);
  EXPECT_DOUBLE_EQ(g100.max_s, 100);
}

TEST(StatisticsTest, TiesAndMicrosecondPrecision) {
  const std::vector<IntervalRow> rows = {row(2), row(2), row(7), row(2)};
  const auto g = one(rows);
  EXPECT_DOUBLE_EQ(g.p50_s, 2);
  EXPECT_DOUBLE_EQ(g.p90_s, 7);
  EXPECT_DOUBLE_EQ(g.mean_s, 3.25);

  const std::vector<IntervalRow> fine = {row(1.5), row(0.000001)};
  const auto f = one(fine);
  EXPECT_DOUBLE_EQ(f.p50_s, 0.000001);
  EXPECT_DOUBLE_EQ(f.max_s, 1.5);
}

TEST(StatisticsTest, InvalidIntervalsAreOnlyCounted) {
  const std::vector<IntervalRow> rows = {row(10), row(-3600), row(20), row(-1)};
  const auto g = one(rows, lab_order_to_final());
  EXPECT_EQ(g.count, 2u);
  EXPECT_EQ(g.invalid, 2u);
  EXPECT_DOUBLE_EQ(g.mean_s, 15);
  EXPECT_DOUBLE_EQ(g.p50_s, 10);
  EXPECT_DOUBLE_EQ(g.max_s, 20);
  EXPECT_EQ(g.breaches, 0u);

  const std::vector<IntervalRow> only_invalid = {row(-5)};
  const auto h = one(only_invalid);
  EXPECT_EQ(h.count, 0u);
  EXPECT_EQ(h.invalid, 1u);
  EXPECT_DOUBLE_EQ(h.max_s, 0);
  EXPECT_DOUBLE_EQ(h.p99_s, 0);
}

TEST(StatisticsTest, BreachesAgainstEachIntervalsOwnPriority) {
  const std::vector<IntervalRow> rows = {
      row(59 * 60, "S"),   // under 60 min
      row(61 * 60, "S"),   // breach
      row(61 * 60, "R"),   // under 240 min
      row(240 * 60, "R"),  // exactly the target: not longer
      row(241 * 60, "R"),  // breach
      row(999 * 60, "A"),  // no target for A: never a breach
      row(-999 * 60, "S"),  // invalid: never a breach
  };
  const auto g = one(rows, lab_order_to_final());
  EXPECT_EQ(g.count, 6u);
  EXPECT_EQ(g.breaches, 2u);
  EXPECT_EQ(g.target_s, std::nullopt);  // S, R and A mixed
}

TEST(StatisticsTest, GroupsByPriorityCarryTheirTarget) {
  const std::vector<IntervalRow> rows = {row(61 * 60, "S"), row(10 * 60, "R"),
                                         row(30 * 60, "S"), row(300 * 60, "R")};
  const Dimension by[] = {Dimension::priority};
  const auto groups = summarize(rows, lab_order_to_final(), by);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].key, (std::vector<std::pair<Dimension, std::string>>{
                               {Dimension::priority, "R"}}));
  EXPECT_EQ(groups[0].count, 2u);
  EXPECT_EQ(groups[0].target_s, 14400.0);
  EXPECT_EQ(groups[0].breaches, 1u);
  EXPECT_EQ(groups[1].key[0].second, "S");
  EXPECT_EQ(groups[1].target_s, 3600.0);
  EXPECT_EQ(groups[1].breaches, 1u);
  EXPECT_DOUBLE_EQ(groups[1].p50_s, 30 * 60);
}

TEST(StatisticsTest, OneTargetForAllWhenTheIntervalHasOne) {
  IntervalDefinition wait;
  wait.targets = {{"", minutes(30)}};
  const std::vector<IntervalRow> rows = {row(60, "S"), row(40 * 60, "R")};
  const auto g = one(rows, wait);
  EXPECT_EQ(g.target_s, 1800.0);
  EXPECT_EQ(g.breaches, 1u);
  EXPECT_EQ(one({}, wait).target_s, 1800.0);  // an empty window still names its target

  const std::vector<IntervalRow> stat_only = {row(60, "S")};
  EXPECT_EQ(one(stat_only, lab_order_to_final()).target_s, 3600.0);
  EXPECT_EQ(one(rows, IntervalDefinition{}).target_s, std::nullopt);  // no targets at all
}

TEST(StatisticsTest, NoRowsIsOneEmptyGroupWithoutGroupBy) {
  const auto groups = summarize({}, lab_order_to_final(), {});
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_TRUE(groups[0].key.empty());
  EXPECT_EQ(groups[0].count, 0u);
  EXPECT_EQ(groups[0].invalid, 0u);
  EXPECT_DOUBLE_EQ(groups[0].mean_s, 0);
  EXPECT_EQ(groups[0].target_s, std::nullopt);

  const Dimension by[] = {Dimension::department};
  EXPECT_TRUE(summarize({}, lab_order_to_final(), by).empty());
}

TEST(StatisticsTest, GroupsSortedByKeyInGroupByOrder) {
  std::vector<IntervalRow> rows = {row(1, "S", "NOI"), row(2, "R", "NGOAI"), row(3, "S", "NGOAI"),
                                   row(4, "R", "NOI"), row(5, "S", "NOI"), row(6, "R", "")};
  rows[0].modality = "CT";
  const Dimension by[] = {Dimension::department, Dimension::priority};
  const auto groups = summarize(rows, lab_order_to_final(), by);
  ASSERT_EQ(groups.size(), 5u);
  const std::pair<std::string, std::string> expected[] = {
      {"", "R"}, {"NGOAI", "R"}, {"NGOAI", "S"}, {"NOI", "R"}, {"NOI", "S"}};
  for (std::size_t i = 0; i < groups.size(); ++i) {
    ASSERT_EQ(groups[i].key.size(), 2u);
    EXPECT_EQ(groups[i].key[0].first, Dimension::department);
    EXPECT_EQ(groups[i].key[0].second, expected[i].first) << i;
    EXPECT_EQ(groups[i].key[1].first, Dimension::priority);
    EXPECT_EQ(groups[i].key[1].second, expected[i].second) << i;
  }
  EXPECT_EQ(groups[4].count, 2u);
  EXPECT_DOUBLE_EQ(groups[4].mean_s, 3);
}

TEST(StatisticsTest, DimensionNamesRoundTrip) {
  for (const Dimension d : {Dimension::department, Dimension::service_code, Dimension::modality,
                            Dimension::priority}) {
    EXPECT_EQ(dimension_from_string(to_string(d)), d);
  }
  EXPECT_FALSE(dimension_from_string("patient_id"));
  IntervalRow r;
  r.service_code = "GLU";
  r.modality = "CT";
  EXPECT_EQ(r.get(Dimension::service_code), "GLU");
  EXPECT_EQ(r.get(Dimension::modality), "CT");
}

}  // namespace
}  // namespace hisbridge::timeline
