// The turnaround API against a real SQLite timeline in a temp folder, filled with marks as the
// router records them, with a fixed clock. Also through AdminHandler's routing.
#include "adapters/admin/turnaround_api.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/admin/admin_handler.hpp"
#include "engine/timeline/marks.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge::admin {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using timeline::Mark;
using timeline::Scope;

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kMarch5 = 1772643600LL * kSecond;  // 2026-03-05T00:00+07:00
constexpr std::int64_t kEight = kMarch5 + 8 * 60 * kMinute;  // 08:00 that day
constexpr std::int64_t kNow = kEight + 6 * 60 * kMinute;     // 14:00

const mapping::TimeZone& hanoi() {
  static const mapping::TimeZone zone = mapping::TimeZone::fixed(7 * 3600, "+07:00");
  return zone;
}

Mark order_mark(const std::string& order, const std::string& kind, std::int64_t at,
                const std::string& priority, const std::string& department) {
  return {Scope::order, order, kind, at, {"LAB", "V-" + order, "P-" + order, department,
                                          priority, "GLU", ""}};
}

struct Reply {
  unsigned status = 0;
  Json body;
};

class TurnaroundApiTest : public testing::Test {
 protected:
  void SetUp() override {
    auto opened = timeline::open_timeline((dir_ / "journal.db").string(),
                                          timeline::default_intervals());
    ASSERT_TRUE(opened) << opened.error().message();
    // O1 50 min, O2 80 min (S, CC); O3 5 h (R, KKB); O4 ends before it starts; O5 and visit
    // V1 still running.
    const std::vector<Mark> marks{
        order_mark("O1", "ordered", kEight, "S", "CC"),
        order_mark("O1", "final", kEight + 50 * kMinute, "S", "CC"),
        order_mark("O2", "ordered", kEight, "S", "CC"),
        order_mark("O2", "final", kEight + 80 * kMinute, "S", "CC"),
        order_mark("O3", "ordered", kEight, "R", "KKB"),
        order_mark("O3", "final", kEight + 300 * kMinute, "R", "KKB"),
        order_mark("O4", "ordered", kEight + 120 * kMinute, "R", "KKB"),
        order_mark("O4", "final", kEight + 90 * kMinute, "R", "KKB"),
        order_mark("O5", "ordered", kEight + 5 * kMinute, "S", "KNOI"),
        {Scope::visit, "V1", "registered", kEight - 10 * kMinute, {"LAB", "V1", "P1", "KKB",
                                                                     "", "", ""}},
    };
    auto recorded = (*opened)->record(marks);
    ASSERT_TRUE(recorded) << recorded.error().message();
    timeline_ = std::make_shared<SharedTimeline>(std::move(*opened));
  }
  void TearDown() override {
    timeline_.reset();
  }

  TurnaroundApi api(std::chrono::seconds lookback = std::chrono::hours(48)) const {
    return TurnaroundApi(timeline_, hanoi(), lookback, [] { return kNow; });
  }

  static Reply get(const TurnaroundApi& turnaround, const std::string& target) {
    http::HttpRequest request;
    request.method = "GET";
    request.target = target;
    const http::HttpResponse r = turnaround.handle(request.path(), request);
    return {r.status, Json::parse(r.body, nullptr, false)};
  }

  testing_support::TempDir temp_{"hisbridge-turnaround-api"};
  fs::path dir_ = temp_.path();
  std::shared_ptr<SharedTimeline> timeline_;
};

TEST_F(TurnaroundApiTest, StatisticsOfEachPriorityOverTheDay) {
  const Reply r = get(api(), "/api/v1/turnaround?interval=lab_order_to_final&group_by=priority");
  ASSERT_EQ(r.status, 200u) << r.body.dump();
  EXPECT_EQ(r.body["interval"], "lab_order_to_final");
  EXPECT_EQ(r.body["from"], "2026-03-05T00:00:00.000+07:00") << "today, in the engine's zone";
  EXPECT_EQ(r.body["to"], "2026-03-05T14:00:00.000+07:00") << "now";
  EXPECT_EQ(r.body["group_by"], Json::array({"priority"}));
  ASSERT_EQ(r.body["groups"].size(), 2u);
  const Json& routine = r.body["groups"][0];
  EXPECT_EQ(routine["key"], Json({{"priority", "R"}}));
  EXPECT_EQ(routine["count"], 1);
  EXPECT_EQ(routine["p50_s"], 18000.0);
  EXPECT_EQ(routine["max_s"], 18000.0);
  EXPECT_EQ(routine["target_s"], 14400.0);
  EXPECT_EQ(routine["breaches"], 1);
  EXPECT_EQ(routine["breach_pct"], 100.0);
  EXPECT_EQ(routine["invalid"], 1) << "O4 ends before it starts";
  const Json& stat = r.body["groups"][1];
  EXPECT_EQ(stat["key"], Json({{"priority", "S"}}));
  EXPECT_EQ(stat["count"], 2);
  EXPECT_EQ(stat["mean_s"], 3900.0);
  EXPECT_EQ(stat["p50_s"], 3000.0);
  EXPECT_EQ(stat["p90_s"], 4800.0);
  EXPECT_EQ(stat["p99_s"], 4800.0);
  EXPECT_EQ(stat["target_s"], 3600.0);
  EXPECT_EQ(stat["breaches"], 1);
  EXPECT_EQ(stat["breach_pct"], 50.0);
  EXPECT_EQ(stat["invalid"], 0);
}

TEST_F(TurnaroundApiTest, FiltersAndWindowsNarrowTheIntervals) {
  const Reply cc = get(api(), "/api/v1/turnaround?interval=lab_order_to_final&department=CC");
  ASSERT_EQ(cc.status, 200u) << cc.body.dump();
  ASSERT_EQ(cc.body["groups"].size(), 1u);
  EXPECT_EQ(cc.body["groups"][0]["key"], Json::object());
  EXPECT_EQ(cc.body["groups"][0]["count"], 2);
  // Until 09:00 only O1 has ended (08:50); the window end is exclusive.
  const Reply early = get(api(),
                          "/api/v1/turnaround?interval=lab_order_to_final"
                          "&from=2026-03-05T08:00&to=2026-03-05T08:50%2B07:00");
  ASSERT_EQ(early.status, 200u) << early.body.dump();
  EXPECT_EQ(early.body["groups"][0]["count"], 0);
  EXPECT_TRUE(early.body["groups"][0]["mean_s"].is_null());
  EXPECT_EQ(early.body["groups"][0]["target_s"], nullptr) << "S and R targets differ";
  const Reply to_nine =
      get(api(), "/api/v1/turnaround?interval=lab_order_to_final&from=2026-03-05&to="
                 "2026-03-05T09:00&group_by=department,priority");
  ASSERT_EQ(to_nine.status, 200u);
  ASSERT_EQ(to_nine.body["groups"].size(), 1u);
  EXPECT_EQ(to_nine.body["groups"][0]["key"], Json({{"department", "CC"}, {"priority", "S"}}));
  EXPECT_EQ(to_nine.body["groups"][0]["count"], 1);
}

TEST_F(TurnaroundApiTest, DistributionCountsPerBucket) {
  const Reply r =
      get(api(), "/api/v1/turnaround/distribution?interval=lab_order_to_final&bucket_s=3600");
  ASSERT_EQ(r.status, 200u) << r.body.dump();
  EXPECT_EQ(r.body["bucket_s"], 3600);
  EXPECT_EQ(r.body["invalid"], 1);
  EXPECT_EQ(r.body["buckets"],
            Json::parse(R"([{"from_s":0,"to_s":3600,"count":1},{"from_s":3600,"to_s":7200,"count":1},
                            {"from_s":7200,"to_s":10800,"count":0},{"from_s":10800,"to_s":14400,"count":0},
                            {"from_s":14400,"to_s":18000,"count":0},{"from_s":18000,"to_s":21600,"count":1}])"));
}

TEST_F(TurnaroundApiTest, IntervalsListTheConfiguredOnes) {
  const Reply r = get(api(), "/api/v1/turnaround/intervals");
  ASSERT_EQ(r.status, 200u);
  ASSERT_EQ(r.body["intervals"].size(), timeline::default_intervals().size());
  EXPECT_EQ(r.body["intervals"][0]["name"], "lab_order_to_final");
  EXPECT_EQ(r.body["intervals"][0]["targets"], Json({{"R", 14400}, {"S", 3600}}));
}

TEST_F(TurnaroundApiTest, OverdueListsRunningClocksPastTheirTargetOldestFirst) {
  const Reply r = get(api(), "/api/v1/overdue");
  ASSERT_EQ(r.status, 200u) << r.body.dump();
  EXPECT_EQ(r.body["now"], "2026-03-05T14:00:00.000+07:00");
  ASSERT_EQ(r.body["items"].size(), 2u) << r.body.dump();
  EXPECT_EQ(r.body["items"][0], Json::parse(R"({"interval":"patient_wait_to_service",
      "visit_id":"V1","patient_id":"P1","department":"KKB","priority":"","service_code":"",
      "modality":"","started_at":"2026-03-05T07:50:00.000+07:00","age_s":22200.0,
      "target_s":1800.0})"));
  EXPECT_EQ(r.body["items"][1], Json::parse(R"({"interval":"lab_order_to_final",
      "order_no":"O5","visit_id":"V-O5","patient_id":"P-O5","department":"KNOI","priority":"S",
      "service_code":"GLU","modality":"","started_at":"2026-03-05T08:05:00.000+07:00",
      "age_s":21300.0,"target_s":3600.0})"));
  const Reply one = get(api(), "/api/v1/overdue?interval=lab_order_to_final&limit=5");
  ASSERT_EQ(one.body["items"].size(), 1u);
  EXPECT_EQ(one.body["items"][0]["order_no"], "O5");
  // Clocks started longer ago than the look-back are left out.
  EXPECT_TRUE(get(api(std::chrono::hours(1)), "/api/v1/overdue").body["items"].empty());
}

TEST_F(TurnaroundApiTest, ErrorsAreJsonWithTheirStatus) {
  const Reply unknown = get(api(), "/api/v1/turnaround?interval=lab_tat");
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_NE(unknown.body["error"].get<std::string>().find("known: lab_order_to_final"),
            std::string::npos);
  const Reply bad = get(api(), "/api/v1/turnaround?interval=lab_order_to_final&group_by=ward");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_NE(bad.body["error"].get<std::string>().find("'group_by'"), std::string::npos);
  EXPECT_EQ(get(api(), "/api/v1/turnaround?interval=%zz").status, 400u);
  EXPECT_EQ(get(api(), "/api/v1/overdue?interval=lab_tat").status, 404u);
  const TurnaroundApi none(nullptr, hanoi(), std::chrono::hours(1));
  const Reply off = get(none, "/api/v1/turnaround/intervals");
  EXPECT_EQ(off.status, 503u);
  EXPECT_TRUE(off.body.contains("error"));
}

// Delivers the response the handler gives into a promise.
class PromiseSink final : public http::detail::ResponseSink {
 public:
  void respond(std::function<http::HttpResponse()> make) override { promise.set_value(make()); }
  std::promise<http::HttpResponse> promise;
};

TEST_F(TurnaroundApiTest, TheAdminHandlerRoutesTheTurnaroundPaths) {
  config::Config config;
  config.timezone = "+07:00";
  AdminSources sources;
  sources.config = &config;
  sources.timeline = timeline_;
  sources.now = [] { return kNow; };
  AdminHandler handler(std::move(sources), nullptr);
  for (const char* target : {"/api/v1/turnaround?interval=lab_order_to_final",
                             "/api/v1/turnaround/intervals", "/api/v1/overdue",
                             "/api/v1/turnaround/distribution?interval=delivery_latency"}) {
    auto sink = std::make_shared<PromiseSink>();
    auto answer = sink->promise.get_future();
    http::HttpRequest request;
    request.method = "GET";
    request.target = target;
    handler.handle(request, http::HttpResponder(sink));
    ASSERT_EQ(answer.wait_for(std::chrono::seconds(20)), std::future_status::ready) << target;
    const http::HttpResponse r = answer.get();
    EXPECT_EQ(r.status, 200u) << target << ": " << r.body;
  }
}

}  // namespace
}  // namespace hisbridge::admin
