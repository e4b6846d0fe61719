// The audit trail on a real SQLite journal and a real audit file in a temp folder: an entry
// reaches both, and when either side cannot be written the other still is and the error
// names the side that failed.
#include "engine/audit/audit_trail.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/store/error.hpp"
#include "engine/store/open_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge::audit {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

class AuditTrailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_store((dir_ / "store.db").string());
    ASSERT_TRUE(opened);
    store_ = std::move(*opened);
    auto file = AuditFile::open({dir_ / "audit.log", 1'000'000, 3});
    ASSERT_TRUE(file) << file.error();
    file_ = std::move(*file);
  }
  void TearDown() override { store_.reset(); }

  std::vector<Json> file_lines() const {
    std::ifstream in(dir_ / "audit.log");
    std::vector<Json> out;
    for (std::string line; std::getline(in, line);) {
      out.push_back(Json::parse(line));
    }
    return out;
  }

  std::vector<store::AuditEntry> rows() const {
    auto r = store_->audit(10);
    EXPECT_TRUE(r);
    return r ? *r : std::vector<store::AuditEntry>{};
  }

  testing_support::TempDir temp_{"hisbridge-audit-trail-test"};
  const fs::path& dir_ = temp_.path();
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<AuditFile> file_;
};

TEST_F(AuditTrailTest, AnEntryGoesToTheJournalAndTheFile) {
  AuditTrail trail(AuditTrail::journal_of(*store_), file_);
  ASSERT_TRUE(trail.append({"it-team (10.1.2.3:5123)", "10.1.2.3:5123", "view-message",
                            {{"via", "api"}, {"message", 7}}}));
  ASSERT_TRUE(trail.append("hisbridge", "config-reload", {{"file", "hisbridge.json"}}));
  const auto journal = rows();
  ASSERT_EQ(journal.size(), 2u);
  EXPECT_EQ(journal[1].actor, "it-team (10.1.2.3:5123)");
  EXPECT_EQ(journal[1].action, "view-message");
  EXPECT_EQ(Json::parse(journal[1].detail)["message"], 7);
  EXPECT_EQ(journal[0].action, "config-reload");
  const auto lines = file_lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["actor"], "it-team (10.1.2.3:5123)");
  EXPECT_EQ(lines[0]["from"], "10.1.2.3:5123");
  EXPECT_EQ(lines[0]["detail"]["message"], 7);
  EXPECT_EQ(lines[1]["from"], "local");
  EXPECT_EQ(lines[1]["action"], "config-reload");
}

TEST_F(AuditTrailTest, AJournalThatFailsIsNamedAndTheFileStillGetsTheLine) {
  AuditTrail trail([](const store::NewAuditEntry&) -> Result<void> {
    return store::StoreError::unavailable;
  }, file_);
  const auto written = trail.append({"alice", "cli", "reprocess-range", {{"changed", 3}}});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().rfind("journal audit row: ", 0), 0u) << written.error();
  EXPECT_EQ(file_lines().size(), 1u);
}

TEST_F(AuditTrailTest, AFileThatFailsIsNamedAndTheJournalStillGetsTheRow) {
  if (!fs::exists("/dev/full")) {
    GTEST_SKIP() << "no /dev/full";
  }
  fs::create_symlink("/dev/full", dir_ / "full.log");
  auto full = AuditFile::open({dir_ / "full.log", 1'000'000, 3});
  ASSERT_TRUE(full);
  AuditTrail trail(AuditTrail::journal_of(*store_), std::move(*full));
  const auto written = trail.append({"alice", "cli", "reprocess-range", {}});
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().find("audit file " + (dir_ / "full.log").string()), std::string::npos)
      << written.error();
  EXPECT_EQ(written.error().find("journal"), std::string::npos) << written.error();
  EXPECT_EQ(rows().size(), 1u);
}

TEST_F(AuditTrailTest, WithoutAFileTheJournalAlone) {
  AuditTrail trail(AuditTrail::journal_of(*store_), nullptr);
  EXPECT_EQ(trail.file(), nullptr);
  ASSERT_TRUE(trail.append({"alice", "cli", "requeue-dead-letters", {}}));
  EXPECT_EQ(rows().size(), 1u);
  EXPECT_TRUE(file_lines().empty());
}

}  // namespace
}  // namespace hisbridge::audit
