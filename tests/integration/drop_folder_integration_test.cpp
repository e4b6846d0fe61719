// The drop folder chain as the engine wires it: DropFolderListener → Ingest → GroupCommitter →
// SqliteStore, over a real temporary folder. A file is filed away only once every message in
// it is in the journal, byte for byte as it was dropped.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "adapters/file/drop_folder_listener.hpp"
#include "engine/router/ingest.hpp"
#include "engine/store/group_committer.hpp"
#include "engine/store/sqlite_store.hpp"
#include "tests/adapters/adapter_test_support.hpp"

namespace hisbridge {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using hisbridge::testing::drop_file;
using hisbridge::testing::wait_until;

std::string oru(const std::string& control_id) {
  return "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01^ORU_R01|" + control_id +
         "|P|2.5\rPID|1||12345^^^HOSP^MR||NGUY\xE1\xBB\x84N^V\xC4\x82N A\r"
         "OBX|1|NM|GLU^Glucose||5.4|mmol/L|3.9-6.1|N|||F\r";
}

// Torn down in the order the engine uses: stop the listener, drain the committer (every owed
// reply runs and posts to a live io_context), then stop the io_context.
class DropFolderIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(folder());
    auto store = store::SqliteStore::open(dir_.path() / "journal.db");
    ASSERT_TRUE(store) << store.error().message();
    committer_ = std::make_unique<store::GroupCommitter>(std::move(*store));
    ingest_ = std::make_unique<router::Ingest>(*committer_, router::Ingest::CharsetOverrides{});
    file::DropFolderOptions options;
    options.name = "lab-drop";
    options.folder = folder();
    options.poll_interval = 10ms;
    listener_ = std::make_unique<file::DropFolderListener>(io_.ioc(), options, *ingest_);
    auto started = listener_->start();
    ASSERT_TRUE(started) << started.error().message();
  }
  void TearDown() override {
    listener_.reset();
    committer_->stop();
  }

  fs::path folder() const { return dir_.path() / "drop"; }

  // Everything in the journal, oldest first, read through a second connection.
  std::vector<store::StoredMessage> journal() {
    auto reader = store::SqliteStore::open(dir_.path() / "journal.db");
    EXPECT_TRUE(reader);
    store::MessageQuery all;
    all.limit = 1000;
    auto found = (*reader)->find(all);
    EXPECT_TRUE(found);
    std::vector<store::StoredMessage> out = found ? *found : std::vector<store::StoredMessage>{};
    std::reverse(out.begin(), out.end());
    return out;
  }

  testing::TempDir dir_;
  testing::IoThread io_;
  std::unique_ptr<store::GroupCommitter> committer_;
  std::unique_ptr<router::Ingest> ingest_;
  std::unique_ptr<file::DropFolderListener> listener_;
};

TEST_F(DropFolderIntegrationTest, DroppedFilesAreStoredByteForByteBeforeTheyMove) {
  const std::string single = "\xEF\xBB\xBF" + oru("F1") + "\r\n";  // BOM and a trailing newline
  const std::string batch =
      "FHS|^~\\&|LIS|LAB\rBHS|^~\\&|LIS|LAB\r" + oru("F2") + oru("F3") + "BTS|2\rFTS|1\r";
  drop_file(folder() / "LAB_0001.hl7", single);
  ASSERT_TRUE(wait_until([&] { return fs::exists(folder() / "done" / "LAB_0001.hl7"); }));
  drop_file(folder() / "LAB_0002.hl7", batch);
  ASSERT_TRUE(wait_until([&] { return fs::exists(folder() / "done" / "LAB_0002.hl7"); }));

  const auto stored = journal();
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[0].message.raw, single);  // a one-message file is stored whole
  EXPECT_EQ(stored[0].message.peer, "LAB_0001.hl7");
  EXPECT_EQ(stored[1].message.raw, oru("F2"));
  EXPECT_EQ(stored[2].message.raw, oru("F3"));
  for (const auto& s : stored) {
    EXPECT_EQ(s.message.source, "lab-drop");
    EXPECT_EQ(s.message.status, store::MessageStatus::received);
  }
  EXPECT_EQ(stored[2].message.peer, "LAB_0002.hl7");
}

TEST_F(DropFolderIntegrationTest, UnreadableMessageIsStoredAsRejectedAndTheFileGoesToError) {
  const std::string bad = "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305||ORU^R01|F9|P|2.5\rzz|x\r";
  drop_file(folder() / "bad.hl7", oru("F8") + bad);
  ASSERT_TRUE(wait_until([&] { return fs::exists(folder() / "error" / "bad.hl7.reason.txt"); }));
  const auto stored = journal();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].message.status, store::MessageStatus::received);
  EXPECT_EQ(stored[1].message.status, store::MessageStatus::rejected);
  EXPECT_EQ(stored[1].message.raw, bad);
}

TEST_F(DropFolderIntegrationTest, AFileTakenAgainAfterARestartIsNotProcessedTwice) {
  // As after a crash between the commit and the move: the same file is in the folder again.
  drop_file(folder() / "again.hl7", oru("F5"));
  ASSERT_TRUE(wait_until([&] { return fs::exists(folder() / "done" / "again.hl7"); }));
  drop_file(folder() / "again.hl7", oru("F5"));
  ASSERT_TRUE(wait_until([&] { return fs::exists(folder() / "done" / "again_1.hl7"); }));
  const auto stored = journal();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].message.status, store::MessageStatus::received);
  EXPECT_EQ(stored[1].message.status, store::MessageStatus::duplicate);
  EXPECT_EQ(stored[1].duplicate_of, stored[0].id);
}

}  // namespace
}  // namespace hisbridge
