// `hisbridge backup` run in-process on real SQLite files: what the audit entry says it copies.
#include "engine/app/backup_command.hpp"


#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/store/open_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge::app {
namespace {

namespace fs = std::filesystem;

class BackupCommandTest : public ::testing::Test {
 protected:
  hisbridge::testing_support::TempDir folder_{"hisbridge-backup"};
  const fs::path& dir_ = folder_.path();
};

TEST_F(BackupCommandTest, ATimelineTheEngineNeverMadeIsNotNamedInTheAuditEntry) {
  const fs::path journal = dir_ / "var" / "hisbridge.db";
  ASSERT_TRUE(store::open_store(journal.string()));
  ASSERT_FALSE(fs::exists(dir_ / "var" / "hisbridge.timeline.db"));
  const fs::path config = dir_ / "hisbridge.json";
  std::ofstream(config) << nlohmann::json{
      {"store", {{"location", journal.string()}}},
      {"audit", {{"file", (dir_ / "var" / "audit.log").string()}}}}.dump();

  BackupOptions options;
  options.config_file = config.string();
  options.to = (dir_ / "backup").string();
  options.json = true;
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(run_backup(options, out, err), 0) << err.str();

  std::ifstream audit(dir_ / "var" / "audit.log");
  std::string line;
  std::string last;
  while (std::getline(audit, line)) {
    last = line;
  }
  const auto entry = nlohmann::json::parse(last);
  EXPECT_EQ(entry["action"], "backup");
  EXPECT_EQ(entry["detail"]["databases"], nlohmann::json::array({"journal"})) << last;
  // The manifest says the same: the timeline skipped, as not there.
  const auto manifest = nlohmann::json::parse(out.str());
  ASSERT_EQ(manifest["skipped"].size(), 1u) << out.str();
  EXPECT_EQ(manifest["skipped"][0]["role"], "timeline");
  EXPECT_EQ(manifest["skipped"][0]["reason"], "does not exist");
  EXPECT_TRUE(fs::exists(dir_ / "backup" / "hisbridge.db"));
  EXPECT_FALSE(fs::exists(dir_ / "backup" / "hisbridge.timeline.db"));
}

}  // namespace
}  // namespace hisbridge::app
