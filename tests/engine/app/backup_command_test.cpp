// `hisbridge backup` run in-process on real SQLite files: what the audit entry says it copies,
// and --pg-dump's order and failures against a stand-in pg_dump on PATH (e2e_backup_pg runs the
// real one against a server).
#include "engine/app/backup_command.hpp"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/store/open_store.hpp"
#include "tests/support/read_file.hpp"
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

// A config whose journal is SQLite in the test's folder and whose HIS database is in
// PostgreSQL (never reached: pg_dump is a stand-in).
fs::path write_pg_his_config(const fs::path& dir) {
  const fs::path journal = dir / "var" / "hisbridge.db";
  EXPECT_TRUE(store::open_store(journal.string()));
  std::ofstream(dir / "lis.json")
      << R"({"records": [{"table": "his_order", "key": ["order_no"],
                          "columns": {"order_no": "OBR-3"}}]})";
  const fs::path config = dir / "hisbridge.json";
  std::ofstream(config) << nlohmann::json{
      {"store", {{"location", journal.string()}}},
      {"audit", {{"file", (dir / "var" / "audit.log").string()}}},
      {"his", {{"location", "postgresql://hb:s3cret@127.0.0.1:1/his"}}},
      {"listeners", {{{"name", "lis"}, {"type", "mllp"}, {"host", "127.0.0.1"}, {"port", 2575}}}},
      {"channels",
       {{{"name", "lis-his"},
         {"source", "lis"},
         {"mapping", (dir / "lis.json").string()},
         {"destinations", {{{"name", "his"}, {"type", "his-db"}}}}}}}}.dump();
  return config;
}

// pg_dump on PATH for the test's time: writes what the backup folder held when it ran and the
// password it was given into its --file, and exits with `status`.
class FakePgDumpOnPath {
 public:
  FakePgDumpOnPath(const fs::path& dir, int status) : saved_(::getenv("PATH")) {
    fs::create_directories(dir / "bin");
    const fs::path p = dir / "bin" / "pg_dump";
    std::ofstream(p) << "#!/bin/sh\n"
                        "for a in \"$@\"; do case \"$a\" in --file=*) f=\"${a#--file=}\";; esac; done\n"
                        "{ echo PGDMP; echo \"password=$PGPASSWORD\"; ls \"$(dirname \"$f\")\"; } > \"$f\"\n"
                     << "exit " << status << "\n";
    ::chmod(p.c_str(), 0755);
    ::setenv("PATH", ((dir / "bin").string() + ":" + saved_).c_str(), 1);
  }
  ~FakePgDumpOnPath() { ::setenv("PATH", saved_.c_str(), 1); }
  FakePgDumpOnPath(const FakePgDumpOnPath&) = delete;
  FakePgDumpOnPath& operator=(const FakePgDumpOnPath&) = delete;

 private:
  std::string saved_;
};

// The options of a backup of write_pg_his_config's config into `dir`/backup.
BackupOptions pg_his_backup(const fs::path& dir, bool pg_dump, bool json) {
  BackupOptions options;
  options.config_file = write_pg_his_config(dir).string();
  options.to = (dir / "backup").string();
  options.pg_dump = pg_dump;
  options.json = json;
  return options;
}

TEST_F(BackupCommandTest, PgDumpDumpsAHisDatabaseInPostgresqlAfterTheCopies) {
  const FakePgDumpOnPath fake(dir_, 0);
  const BackupOptions options = pg_his_backup(dir_, /*pg_dump=*/true, /*json=*/true);
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(run_backup(options, out, err), 0) << err.str();
  EXPECT_EQ(err.str(), "");

  const fs::path dump = dir_ / "backup" / "his.pgdump";
  const std::string dumped = testing_support::read_file(dump);
  // Run after the journal's copy was in the folder, with the config's password.
  EXPECT_NE(dumped.find("hisbridge.db\n"), std::string::npos) << dumped;
  EXPECT_NE(dumped.find("password=s3cret\n"), std::string::npos) << dumped;
  const auto manifest = nlohmann::json::parse(out.str());
  ASSERT_EQ(manifest["dumps"].size(), 1u) << out.str();
  EXPECT_EQ(manifest["dumps"][0]["role"], "his");
  EXPECT_EQ(manifest["dumps"][0]["file"], "his.pgdump");
  EXPECT_EQ(manifest["dumps"][0]["made"], "after the copies");
  EXPECT_EQ(manifest["dumps"][0]["location"], "postgresql://hb:***@127.0.0.1:1/his");
  EXPECT_EQ(manifest["dumps"][0]["size_bytes"], static_cast<std::int64_t>(fs::file_size(dump)));
  EXPECT_EQ(manifest["not_copied"], nlohmann::json::array());
  EXPECT_EQ(out.str().find("s3cret"), std::string::npos);
}

TEST_F(BackupCommandTest, AFailedPgDumpLeavesNoBackup) {
  const FakePgDumpOnPath fake(dir_, 1);
  const BackupOptions options = pg_his_backup(dir_, /*pg_dump=*/true, /*json=*/false);
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_backup(options, out, err), 1);
  EXPECT_NE(err.str().find("the HIS staging database postgresql://hb:***@127.0.0.1:1/his: "
                           "pg_dump exited with status 1"),
            std::string::npos)
      << err.str();
  EXPECT_NE(err.str().find("No backup was made"), std::string::npos);
  EXPECT_EQ(err.str().find("s3cret"), std::string::npos);
  // The journal's copy, made before, is removed with the failed dump.
  EXPECT_TRUE(fs::is_empty(dir_ / "backup")) << *fs::directory_iterator(dir_ / "backup");
}

TEST_F(BackupCommandTest, WithoutPgDumpTheHisDatabaseIsLeftToTheOperator) {
  const FakePgDumpOnPath fake(dir_, 0);
  const BackupOptions options = pg_his_backup(dir_, /*pg_dump=*/false, /*json=*/true);
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(run_backup(options, out, err), 0) << err.str();
  EXPECT_FALSE(fs::exists(dir_ / "backup" / "his.pgdump"));
  const auto manifest = nlohmann::json::parse(out.str());
  ASSERT_EQ(manifest["not_copied"].size(), 1u);
  EXPECT_EQ(manifest["not_copied"][0]["when"], "after the copies");
}

}  // namespace
}  // namespace hisbridge::app
