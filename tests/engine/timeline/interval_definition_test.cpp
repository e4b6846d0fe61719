#include "engine/timeline/interval_definition.hpp"

#include <gtest/gtest.h>

namespace hisbridge::timeline {
namespace {

using std::chrono::minutes;

const IntervalDefinition* find(const std::vector<IntervalDefinition>& all, std::string_view name) {
  for (const auto& d : all) {
    if (d.name == name) {
      return &d;
    }
  }
  return nullptr;
}

TEST(IntervalDefinitionTest, ScopeNamesRoundTrip) {
  for (const Scope s : {Scope::order, Scope::visit, Scope::message}) {
    EXPECT_EQ(scope_from_string(to_string(s)), s);
  }
  EXPECT_EQ(to_string(Scope::visit), "visit");
  EXPECT_FALSE(scope_from_string("Order"));
  EXPECT_FALSE(scope_from_string(""));
}

TEST(IntervalDefinitionTest, TheSevenDefaultsOfTheStockMapping) {
  const auto all = default_intervals();
  ASSERT_EQ(all.size(), 7u);
  struct Expected {
    std::string_view name;
    Scope scope;
    std::string_view from;
    std::vector<std::string> to;
    std::string_view discipline;
  };
  const Expected expected[] = {
      {"lab_order_to_final", Scope::order, "ordered", {"final"}, "LAB"},
      {"lab_receipt_to_final", Scope::order, "received", {"final"}, "LAB"},
      {"lab_collect_to_receipt", Scope::order, "collected", {"received"}, "LAB"},
      {"rad_order_to_report", Scope::order, "ordered", {"final"}, "RAD"},
      {"rad_exam_to_report", Scope::order, "completed", {"final"}, "RAD"},
      {"patient_wait_to_service", Scope::visit, "registered", {"collected", "started"}, ""},
      {"delivery_latency", Scope::message, "accepted", {"delivered"}, ""},
  };
  for (const Expected& e : expected) {
    const IntervalDefinition* d = find(all, e.name);
    ASSERT_NE(d, nullptr) << e.name;
    EXPECT_EQ(d->scope, e.scope) << e.name;
    EXPECT_EQ(d->from, e.from) << e.name;
    EXPECT_EQ(d->to, e.to) << e.name;
    EXPECT_EQ(d->discipline, e.discipline) << e.name;
  }
}

TEST(IntervalDefinitionTest, DefaultTargets) {
  const auto all = default_intervals();
  const auto* lab = find(all, "lab_order_to_final");
  EXPECT_EQ(lab->target_for("S"), minutes(60));
  EXPECT_EQ(lab->target_for("R"), minutes(240));
  EXPECT_EQ(lab->target_for("A"), std::nullopt);  // no "" target: other priorities have none
  const auto* rad = find(all, "rad_exam_to_report");
  EXPECT_EQ(rad->target_for("S"), minutes(60));
  EXPECT_EQ(rad->target_for("R"), minutes(1440));
  const auto* wait = find(all, "patient_wait_to_service");
  EXPECT_EQ(wait->target_for("S"), minutes(30));
  EXPECT_EQ(wait->target_for(""), minutes(30));
  for (std::string_view none : {"lab_receipt_to_final", "lab_collect_to_receipt",
                                "rad_order_to_report", "delivery_latency"}) {
    EXPECT_TRUE(find(all, none)->targets.empty()) << none;
  }
}

TEST(IntervalDefinitionTest, TheEmptyKeyIsTheTargetOfPrioritiesNotListed) {
  IntervalDefinition d;
  d.targets = {{"S", minutes(10)}, {"", minutes(50)}};
  EXPECT_EQ(d.target_for("S"), minutes(10));
  EXPECT_EQ(d.target_for("R"), minutes(50));
  EXPECT_EQ(d.target_for(""), minutes(50));
}

TEST(IntervalDefinitionTest, EndsWithAnyOfItsToKinds) {
  IntervalDefinition d;
  d.from = "registered";
  d.to = {"collected", "started"};
  EXPECT_TRUE(d.ends_with("collected"));
  EXPECT_TRUE(d.ends_with("started"));
  EXPECT_FALSE(d.ends_with("registered"));
  EXPECT_FALSE(d.ends_with("final"));
}

}  // namespace
}  // namespace hisbridge::timeline
