#include "engine/config/turnaround_reader.hpp"

#include <gtest/gtest.h>

#include "engine/config/config_loader.hpp"

namespace hisbridge::config {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using timeline::Scope;

std::vector<ConfigError> check(std::string_view text, Config* out = nullptr) {
  return check_config_text(text, "test.json", out);
}

std::string all(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    out += e.to_string() + "\n";
  }
  return out;
}

TEST(TurnaroundReaderTest, DefaultsWithoutTheSection) {
  Config c;
  const auto errors = check("{}", &c);
  ASSERT_TRUE(errors.empty()) << all(errors);
  ASSERT_EQ(c.turnaround.intervals.size(), 7u);
  EXPECT_EQ(c.turnaround.intervals[0].name, "lab_order_to_final");
  EXPECT_EQ(c.turnaround.overdue_lookback, hours(48));
  EXPECT_EQ(c.turnaround.metric_departments, 20u);
}

TEST(TurnaroundReaderTest, AConfiguredListReplacesTheDefaults) {
  Config c;
  const auto errors = check(R"({
    "turnaround": {
      "intervals": [
        {"name": "lab_order_to_final", "from": "ordered", "to": "final", "discipline": "LAB",
         "targets": {"S": "45m", "R": "4h", "*": "1d"}},
        {"name": "wait", "scope": "visit", "from": "registered", "to": ["collected", "started"],
         "targets": {"*": "30m"}},
        {"name": "delivery", "scope": "message", "from": "accepted", "to": "delivered",
         "targets": {"*": 5}}
      ],
      "overdue_lookback": "72h",
      "metric_departments": 5
    }
  })", &c);
  ASSERT_TRUE(errors.empty()) << all(errors);
  const auto& t = c.turnaround;
  ASSERT_EQ(t.intervals.size(), 3u);
  const auto& lab = t.intervals[0];
  EXPECT_EQ(lab.scope, Scope::order);
  EXPECT_EQ(lab.from, "ordered");
  EXPECT_EQ(lab.to, std::vector<std::string>{"final"});
  EXPECT_EQ(lab.discipline, "LAB");
  EXPECT_EQ(lab.target_for("S"), minutes(45));
  EXPECT_EQ(lab.target_for("R"), hours(4));
  EXPECT_EQ(lab.target_for("A"), hours(24));  // "*" is every priority not listed
  const auto& wait = t.intervals[1];
  EXPECT_EQ(wait.scope, Scope::visit);
  EXPECT_EQ(wait.to, (std::vector<std::string>{"collected", "started"}));
  EXPECT_EQ(wait.target_for("S"), minutes(30));
  EXPECT_EQ(t.intervals[2].scope, Scope::message);
  EXPECT_EQ(t.intervals[2].target_for(""), std::chrono::seconds(5));
  EXPECT_EQ(t.overdue_lookback, hours(72));
  EXPECT_EQ(t.metric_departments, 5u);
}

TEST(TurnaroundReaderTest, AnEmptyListMeasuresNothing) {
  Config c;
  const auto errors = check(R"({"turnaround": {"intervals": []}})", &c);
  ASSERT_TRUE(errors.empty()) << all(errors);
  EXPECT_TRUE(c.turnaround.intervals.empty());
}

TEST(TurnaroundReaderTest, ReportsEveryProblemAtItsPlace) {
  const auto errors = check(R"({
"turnaround": {
  "intervals": [
    {"name": "a", "scope": "vist", "from": "registered", "to": "collected"},
    {"name": "a", "from": "", "to": []},
    {"name": "b", "from": "ordered"},
    {"name": "c", "from": "ordered", "to": ["final", ""], "targets": {"": "1h", "S": "soon"}},
    {"name": "d", "from": "ordered", "to": "final", "targets": {"R": "500ms", "S": 0}},
    {"name": "e", "scope": "message", "from": "accepted", "to": "final"},
    {"name": "f", "scope": "visit", "from": "registered", "to": "collected", "discipline": "LAB"},
    {"name": "Bad Name", "from": "ordered", "to": "final", "target": {}}
  ],
  "overdue_lookback": "0s",
  "metric_departments": -1,
  "overdue_lookbak": "1h"
}
})");
  const std::string text = all(errors);
  EXPECT_NE(text.find("test.json:4:28: interval scope 'vist' is not one of order, visit, message"
                      " (did you mean 'visit'?)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("test.json:5:14: interval name 'a' is used twice"), std::string::npos)
      << text;
  EXPECT_NE(text.find("'from' must not be empty"), std::string::npos) << text;
  EXPECT_NE(text.find("'to' must be an event kind or a list of event kinds"), std::string::npos)
      << text;
  EXPECT_NE(text.find("test.json:6:5: missing 'to'"), std::string::npos) << text;
  EXPECT_NE(text.find("an event kind must not be empty"), std::string::npos) << text;
  EXPECT_NE(text.find("a target needs a priority code, or \"*\" for every priority"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("'S' must be a duration"), std::string::npos) << text;
  EXPECT_NE(text.find("'R' must be at least 1s"), std::string::npos) << text;
  EXPECT_NE(text.find("'S' must be at least 1s"), std::string::npos) << text;
  EXPECT_NE(text.find("a message interval runs from 'accepted' to 'delivered'"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("only order intervals take a 'discipline'"), std::string::npos) << text;
  EXPECT_NE(text.find("interval name 'Bad Name' may hold only"), std::string::npos) << text;
  EXPECT_NE(text.find("unknown key 'target' (did you mean 'targets'?)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("'overdue_lookback' must be at least 1s"), std::string::npos) << text;
  EXPECT_NE(text.find("'metric_departments' must be a whole number from 0 to 1000"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("unknown key 'overdue_lookbak' (did you mean 'overdue_lookback'?)"),
            std::string::npos)
      << text;
}

TEST(TurnaroundReaderTest, TheSectionAndItsListMustHaveTheirShapes) {
  EXPECT_NE(all(check(R"({"turnaround": []})")).find("expected an object"), std::string::npos);
  EXPECT_NE(all(check(R"({"turnaround": {"intervals": {}}})")).find("'intervals' must be a list"),
            std::string::npos);
  EXPECT_NE(all(check(R"({"turnaround": {"intervals": [{"name": "x", "from": "a", "to": "b",
            "targets": "1h"}]}})")).find("'targets' must be an object"),
            std::string::npos);
}

}  // namespace
}  // namespace hisbridge::config
