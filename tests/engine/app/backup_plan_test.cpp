#include "engine/app/backup_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace hisbridge::app {
namespace {
namespace fs = std::filesystem;

config::DestinationConfig his_destination(std::string name, std::string location = "") {
  config::DestinationConfig d;
  d.name = std::move(name);
  d.type = "his-db";
  d.location = std::move(location);
  return d;
}

// The default config's files, with a LIS channel writing the default HIS database.
config::Config site_config() {
  config::Config c;
  c.file = "config/hisbridge.json";
  config::ChannelConfig lis;
  lis.name = "lis";
  lis.source = "lis";
  lis.mapping = "mappings/lis-stock.json";
  lis.destinations.push_back(his_destination("his"));
  c.channels.push_back(lis);
  return c;
}

bool has_other(const BackupPlan& plan, std::string_view what_prefix, const fs::path& path) {
  return std::any_of(plan.others.begin(), plan.others.end(), [&](const OtherFile& o) {
    return o.what.starts_with(what_prefix) && o.path == path;
  });
}

TEST(BackupPlanTest, JournalThenTimelineThenHisDatabaseFromTheWorkingDirectory) {
  auto plan = plan_backup(site_config(), "/srv/hisbridge", "/backup/tonight");
  ASSERT_TRUE(plan) << plan.error();
  ASSERT_EQ(plan->sqlite.size(), 3u);
  EXPECT_EQ(plan->sqlite[0].role, "journal");
  EXPECT_EQ(plan->sqlite[0].configured, "var/hisbridge.db");
  EXPECT_EQ(plan->sqlite[0].absolute, "/srv/hisbridge/var/hisbridge.db");
  EXPECT_TRUE(plan->sqlite[0].required);
  EXPECT_EQ(plan->sqlite[1].role, "timeline");
  EXPECT_EQ(plan->sqlite[1].absolute, "/srv/hisbridge/var/hisbridge.timeline.db");
  EXPECT_FALSE(plan->sqlite[1].required);
  EXPECT_EQ(plan->sqlite[2].role, "his");
  EXPECT_EQ(plan->sqlite[2].absolute, "/srv/hisbridge/var/his.db");
  EXPECT_EQ(plan->sqlite[2].used_by, std::vector<std::string>{"lis/his"});
  EXPECT_TRUE(plan->postgres.empty());
}

TEST(BackupPlanTest, AHisFileSeveralDestinationsWriteIsCopiedOnce) {
  config::Config c = site_config();
  config::ChannelConfig ris;
  ris.name = "ris";
  ris.destinations.push_back(his_destination("his", "sqlite:var/../var/his.db"));
  ris.destinations.push_back(his_destination("archive", "sqlite:///data/archive.db"));
  c.channels.push_back(ris);
  auto plan = plan_backup(c, "/srv/hisbridge", "/backup");
  ASSERT_TRUE(plan) << plan.error();
  ASSERT_EQ(plan->sqlite.size(), 4u);
  EXPECT_EQ(plan->sqlite[2].used_by, (std::vector<std::string>{"lis/his", "ris/his"}));
  EXPECT_EQ(plan->sqlite[3].absolute, "/data/archive.db");
  EXPECT_EQ(plan->sqlite[3].used_by, std::vector<std::string>{"ris/archive"});
}

TEST(BackupPlanTest, PostgresIsNotCopiedAndItsPasswordNeverShows) {
  config::Config c = site_config();
  c.store.location = "postgresql://hisbridge:s3cret@db.hospital.local/hisbridge";
  c.channels[0].destinations.push_back(
      his_destination("his-pg", "host=db.hospital.local dbname=his password=s3cret"));
  auto plan = plan_backup(c, "/srv/hisbridge", "/backup/tonight");
  ASSERT_TRUE(plan) << plan.error();
  ASSERT_EQ(plan->sqlite.size(), 1u) << "no timeline file beside a PostgreSQL journal";
  EXPECT_EQ(plan->sqlite[0].role, "his");
  ASSERT_EQ(plan->postgres.size(), 2u);
  EXPECT_EQ(plan->postgres[0].role, "journal");
  EXPECT_EQ(plan->postgres[0].location, "postgresql://hisbridge:***@db.hospital.local/hisbridge");
  EXPECT_EQ(plan->postgres[0].pg_dump,
            "pg_dump --format=custom --file='/backup/tonight/journal.pgdump'"
            " --dbname='postgresql://hisbridge:***@db.hospital.local/hisbridge'");
  EXPECT_EQ(plan->postgres[1].pg_dump,
            "pg_dump --format=custom --file='/backup/tonight/his.pgdump'"
            " --dbname='host=db.hospital.local dbname=his password=***'");
  for (const auto& pg : plan->postgres) {
    EXPECT_EQ(pg.pg_dump.find("s3cret"), std::string::npos);
  }
  // The journal is dumped before the SQLite copies, a HIS database after them.
  EXPECT_EQ(plan->postgres[0].dump_file, "/backup/tonight/journal.pgdump");
  EXPECT_TRUE(plan->postgres[0].dumped_before_copies());
  EXPECT_EQ(plan->postgres[1].dump_file, "/backup/tonight/his.pgdump");
  EXPECT_FALSE(plan->postgres[1].dumped_before_copies());
}

TEST(BackupPlanTest, OneDumpForTheJournalAndTheHisTablesInOneDatabase) {
  config::Config c = site_config();
  c.store.location = "postgresql://hisbridge@db/hisbridge";
  c.his_location = "postgresql://hisbridge@db/hisbridge";
  auto plan = plan_backup(c, "/srv/hisbridge", "/backup/tonight");
  ASSERT_TRUE(plan) << plan.error();
  EXPECT_TRUE(plan->sqlite.empty());
  ASSERT_EQ(plan->postgres.size(), 1u);
  EXPECT_EQ(plan->postgres[0].role, "journal");
  EXPECT_TRUE(plan->postgres[0].dumped_before_copies());
}

TEST(BackupPlanTest, ABadLocationIsAnError) {
  config::Config c = site_config();
  c.store.location = "mysql://root:pw@localhost/hb";
  auto plan = plan_backup(c, "/srv", "/backup");
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().find("journal"), std::string::npos) << plan.error();
  EXPECT_EQ(plan.error().find(":pw@"), std::string::npos) << plan.error();
}

TEST(BackupPlanTest, ListsTheFilesARestoreAlsoNeeds) {
  config::Config c = site_config();
  c.admin.tls.enabled = true;
  c.admin.tls.certificate = "/etc/hisbridge/admin.crt";
  c.admin.tls.private_key = "/etc/hisbridge/admin.key";
  auto plan = plan_backup(c, "/srv/hisbridge", "/backup");
  ASSERT_TRUE(plan) << plan.error();
  EXPECT_TRUE(has_other(*plan, "config", "/srv/hisbridge/config/hisbridge.json"));
  EXPECT_TRUE(has_other(*plan, "mapping", "/srv/hisbridge/mappings/lis-stock.json"));
  EXPECT_TRUE(has_other(*plan, "audit log", "/srv/hisbridge/var/audit.log"));
  EXPECT_TRUE(has_other(*plan, "TLS private key (admin server)", "/etc/hisbridge/admin.key"));
  EXPECT_TRUE(has_other(*plan, "TLS certificate (admin server)", "/etc/hisbridge/admin.crt"));
}

TEST(BackupPlanTest, SqliteLocationsAndShellQuoting) {
  EXPECT_EQ(sqlite_file_of("var/hisbridge.db"), fs::path("var/hisbridge.db"));
  EXPECT_EQ(sqlite_file_of("sqlite:var/x.db"), fs::path("var/x.db"));
  EXPECT_EQ(sqlite_file_of("sqlite://var/x.db"), fs::path("var/x.db"));
  EXPECT_EQ(sqlite_file_of("sqlite:///data/x.db"), fs::path("/data/x.db"));
  EXPECT_EQ(sqlite_file_of("postgresql://h/db"), std::nullopt);
  EXPECT_EQ(sqlite_file_of("dbname=his"), std::nullopt);
  EXPECT_EQ(shell_quoted("it's here"), "'it'\\''s here'");
}

}  // namespace
}  // namespace hisbridge::app
