// What a config reload applies while the engine runs, and what waits for a restart; and the
// reloader on a real file: a file with errors changes nothing, and every reload is audited.
#include "engine/app/config_reload.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "engine/app/config_reloader.hpp"
#include "engine/config/config_loader.hpp"
#include "engine/core/patient_data_log.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge::app {
namespace {

using nlohmann::json;
using Names = std::vector<std::string>;

const json kRunning = json::parse(R"({
  "store": {"location": "var/j.db"},
  "admin": {"port": 8080, "tokens": []},
  "log": {"level": "info"},
  "listeners": [{"name": "lis", "type": "mllp", "port": 2575, "allow_from": ["10.1.0.0/16"]},
                {"name": "ris", "type": "mllp", "port": 2576}],
  "channels": [{"name": "lab", "source": "lis", "mapping": "m.json"}]
})");

TEST(PlanReloadTest, NothingChangedNothingToDo) {
  const ReloadPlan plan = plan_reload(kRunning, kRunning);
  EXPECT_TRUE(plan.live.empty());
  EXPECT_TRUE(plan.needs_restart.empty());
}

TEST(PlanReloadTest, LogTokensAndSourceLimitsAreLive) {
  json next = kRunning;
  next["log"]["level"] = "debug";
  next["admin"]["tokens"] = json::array({{{"name", "it"}}});
  next["admin"]["open_metrics"] = false;
  next["listeners"][0]["allow_from"].push_back("10.2.0.0/16");
  next["listeners"][1]["max_connections_per_ip"] = 5;
  const ReloadPlan plan = plan_reload(kRunning, next);
  EXPECT_EQ(plan.live, (Names{"admin.open_metrics", "admin.tokens", "listeners[lis].allow_from",
                              "listeners[ris].max_connections_per_ip", "log"}));
  EXPECT_TRUE(plan.needs_restart.empty());
}

TEST(PlanReloadTest, WiredSettingsWaitForARestart) {
  json next = kRunning;
  next["store"]["location"] = "var/other.db";
  next["admin"]["port"] = 8443;
  next["listeners"][0]["port"] = 2577;
  next["listeners"][1] = {{"name", "pacs"}, {"type", "mllp"}, {"port", 2578}};
  next["channels"][0]["mapping"] = "n.json";
  next["turnaround"] = json::object();
  const ReloadPlan plan = plan_reload(kRunning, next);
  EXPECT_TRUE(plan.live.empty());
  EXPECT_EQ(plan.needs_restart,
            (Names{"admin.port", "channels[lab].mapping", "listeners[ris] removed",
                   "listeners[lis].port", "listeners[pacs] added", "store", "turnaround"}));
}

class ConfigReloaderTest : public ::testing::Test {
 protected:
  ~ConfigReloaderTest() override { set_show_patient_data(false); }
  void write(const std::string& text) { std::ofstream(file_, std::ios::trunc) << text; }

  hisbridge::testing_support::TempDir dir_{"hisbridge-reload"};
  std::filesystem::path file_ = dir_.path() / "hisbridge.json";
};

TEST_F(ConfigReloaderTest, AppliesLivePartsRefusesBadFilesAndAuditsEachReload) {
  write(R"({"store": {"location": "j.db"}, // comments are allowed
            "listeners": [{"name": "lis", "type": "mllp", "port": 2575}]})");
  const config::Config running = config::load_config(file_);
  std::vector<config::AdminConfig> admins;
  std::vector<std::string> limits;
  std::vector<nlohmann::ordered_json> audited;
  ReloadHooks hooks;
  hooks.admin = [&](const config::AdminConfig& a) { admins.push_back(a); };
  hooks.listener_limits = [&](const config::ListenerConfig& l) {
    limits.push_back(l.name + ":" + std::to_string(l.max_connections_per_ip));
    return l.type == config::ListenerType::mllp;
  };
  hooks.audit = [&](const nlohmann::ordered_json& detail) -> Result<void, std::string> {
    audited.push_back(detail);
    return {};
  };
  ConfigReloader reloader(running, hooks);

  write(R"({"store": {"location": "j.db"}, "log": {"show_patient_data": true},
            "admin": {"open_metrics": false},
            "listeners": [{"name": "lis", "type": "mllp", "port": 2580, "max_connections_per_ip": 3}]})");
  ReloadOutcome outcome = reloader.reload();
  EXPECT_FALSE(outcome.refused);
  EXPECT_EQ(outcome.plan.live,
            (Names{"admin.open_metrics", "listeners[lis].max_connections_per_ip", "log"}));
  EXPECT_EQ(outcome.plan.needs_restart, (Names{"listeners[lis].port"}));
  ASSERT_EQ(admins.size(), 1u);
  EXPECT_FALSE(admins[0].open_metrics);
  EXPECT_EQ(limits, (Names{"lis:3"}));
  EXPECT_TRUE(show_patient_data());

  // A broken file changes nothing, and says where it is broken.
  write(R"({"store": {"location": "j.db"}, "log": {"level": "loud"}})");
  outcome = reloader.reload();
  EXPECT_TRUE(outcome.refused);
  ASSERT_EQ(outcome.errors.size(), 1u);
  EXPECT_NE(outcome.errors[0].find("hisbridge.json:1:"), std::string::npos) << outcome.errors[0];
  EXPECT_EQ(admins.size(), 1u);
  EXPECT_TRUE(show_patient_data());

  // Back to the first file: the live parts are undone; the port still waits for nothing.
  write(R"({"store": {"location": "j.db"}, "listeners": [{"name": "lis", "type": "mllp", "port": 2575}]})");
  outcome = reloader.reload();
  EXPECT_FALSE(outcome.refused);
  EXPECT_EQ(outcome.plan.live,
            (Names{"admin.open_metrics", "listeners[lis].max_connections_per_ip", "log"}));
  EXPECT_TRUE(outcome.plan.needs_restart.empty());
  EXPECT_FALSE(show_patient_data());
  ASSERT_EQ(admins.size(), 2u);
  EXPECT_TRUE(admins[1].open_metrics);

  ASSERT_EQ(audited.size(), 3u);
  EXPECT_EQ(audited[0]["result"], "applied");
  EXPECT_EQ(audited[0]["needs_restart"].dump(), R"(["listeners[lis].port"])");
  EXPECT_EQ(audited[1]["result"], "refused");
  EXPECT_EQ(audited[1]["errors"].size(), 1u);
  EXPECT_EQ(audited[2]["result"], "applied");
}

TEST_F(ConfigReloaderTest, TlsFilesAreReadAgainOnEveryReloadThatIsNotRefused) {
  write(R"({"store": {"location": "j.db"}})");
  int rereads = 0;
  std::vector<nlohmann::ordered_json> audited;
  ReloadHooks hooks;
  hooks.tls = [&] {
    ++rereads;
    return std::vector<TlsReread>{{"listener lis", true, "new certificate, expires ..."},
                                  {"admin", false, "admin: TLS ...; the running certificate stays"}};
  };
  hooks.audit = [&](const nlohmann::ordered_json& detail) -> Result<void, std::string> {
    audited.push_back(detail);
    return {};
  };
  ConfigReloader reloader(config::load_config(file_), hooks);

  // Nothing changed in the file: a renewed certificate is still taken.
  ReloadOutcome outcome = reloader.reload();
  EXPECT_FALSE(outcome.refused);
  EXPECT_EQ(rereads, 1);
  ASSERT_EQ(outcome.tls.size(), 2u);
  EXPECT_TRUE(outcome.tls[0].replaced);
  EXPECT_FALSE(outcome.tls[1].replaced);

  write(R"({"store": {"location": "j.db"}, "log": {"level": "loud"}})");
  outcome = reloader.reload();
  EXPECT_TRUE(outcome.refused);
  EXPECT_EQ(rereads, 1);
  EXPECT_TRUE(outcome.tls.empty());

  ASSERT_EQ(audited.size(), 2u);
  EXPECT_EQ(audited[0]["tls"].dump(),
            R"([{"server":"listener lis","replaced":true,"detail":"new certificate, expires ..."},)"
            R"({"server":"admin","replaced":false,)"
            R"("detail":"admin: TLS ...; the running certificate stays"}])");
  EXPECT_FALSE(audited[1].contains("tls"));
}

TEST_F(ConfigReloaderTest, WithoutAHookTheChangeWaitsForARestart) {
  write(R"({"store": {"location": "j.db"}, "listeners": [{"name": "lis", "type": "mllp", "port": 2575}]})");
  ConfigReloader reloader(config::load_config(file_), ReloadHooks{});
  write(R"({"store": {"location": "j.db"}, "admin": {"open_metrics": false},
            "listeners": [{"name": "lis", "type": "mllp", "port": 2575, "allow_from": ["10.0.0.0/8"]}]})");
  const ReloadOutcome outcome = reloader.reload();
  EXPECT_TRUE(outcome.plan.live.empty());
  EXPECT_EQ(outcome.plan.needs_restart,
            (Names{"admin.open_metrics", "listeners[lis].allow_from"}));
}

}  // namespace
}  // namespace hisbridge::app
