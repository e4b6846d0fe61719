#include "adapters/file/drop_folder_listener.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/adapters/adapter_test_support.hpp"

namespace hisbridge::file {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using hisbridge::testing::drop_file;
using hisbridge::testing::read_file;
using hisbridge::testing::wait_until;
using hisbridge::testing::write_file;

std::string message(const std::string& control_id) {
  return "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01|" + control_id +
         "|P|2.5\rPID|1||12345^^^HOSP^MR\rOBX|1|NM|HGB||13.5|g/dL\r";
}

// Splits into a message whose segment id is lower case: Ingest rejects it (AR).
std::string unreadable(const std::string& control_id) {
  return "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01|" + control_id + "|P|2.5\rzz|x\r";
}

class DropFolderTest : public ::testing::Test {
 protected:
  void start(DropFolderOptions options = {}) {
    options.name = "lab-drop";
    options.folder = dir_.path();
    options.poll_interval = 10ms;
    listener_ = std::make_unique<DropFolderListener>(io_.ioc(), std::move(options), fake_);
    auto started = listener_->start();
    ASSERT_TRUE(started) << started.error().message();
  }
  fs::path at(const std::string& name) const { return dir_.path() / name; }
  fs::path done(const std::string& name) const { return dir_.path() / "done" / name; }
  fs::path error(const std::string& name) const { return dir_.path() / "error" / name; }
  static bool appears(const fs::path& path) {
    return wait_until([&] { return fs::exists(path); });
  }
  // Waits until the listener has listed the folder `count` more times.
  void wait_scans(std::uint64_t count) {
    const std::uint64_t target = listener_->counters().scans + count;
    ASSERT_TRUE(wait_until([&] { return listener_->counters().scans >= target; }));
  }
  std::vector<std::string> received_raws() const {
    std::vector<std::string> out;
    for (const auto& e : fake_.received()) {
      out.push_back(e.raw);
    }
    return out;
  }

  // Destroyed in reverse: the listener, then the fake (whose last replies still reach a
  // running io_context), then the io_context, then the folder.
  testing::TempDir dir_;
  testing::IoThread io_;
  testing::FakeSourceCallbacks fake_;
  std::unique_ptr<DropFolderListener> listener_;
};

TEST_F(DropFolderTest, RenamedFileIsTakenAndMovedToDone) {
  start();
  const std::string bytes = message("C1");
  drop_file(at("LAB_0001.hl7"), bytes);
  ASSERT_TRUE(appears(done("LAB_0001.hl7")));
  EXPECT_FALSE(fs::exists(at("LAB_0001.hl7")));
  EXPECT_EQ(read_file(done("LAB_0001.hl7")), bytes);
  EXPECT_FALSE(fs::exists(done("LAB_0001.hl7.reason.txt")));

  const auto received = fake_.received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].raw, bytes);
  EXPECT_EQ(received[0].source, "lab-drop");
  EXPECT_EQ(received[0].peer, "LAB_0001.hl7");
  EXPECT_EQ(listener_->counters().files_done, 1u);
}

TEST_F(DropFolderTest, PartialAndHiddenFilesAreLeftAlone) {
  start();
  for (const std::string name : {"LAB_0002.hl7.part", ".LAB_0003.hl7", "LAB_0004.hl7~",
                                 "LAB_0005.TMP", "LAB_0006.hl7.filepart", "LAB_0007.tmp"}) {
    write_file(at(name), message(name));
  }
  wait_scans(3);
  EXPECT_EQ(fake_.received_count(), 0u);
  EXPECT_TRUE(fs::exists(at("LAB_0002.hl7.part")));
  EXPECT_TRUE(fs::exists(at(".LAB_0003.hl7")));

  // Complete now: renamed to its final name.
  fs::rename(at("LAB_0002.hl7.part"), at("LAB_0002.hl7"));
  ASSERT_TRUE(appears(done("LAB_0002.hl7")));
  EXPECT_EQ(fake_.received_count(), 1u);
  EXPECT_TRUE(fs::exists(at("LAB_0004.hl7~")));
}

TEST_F(DropFolderTest, BatchFileHandsOverEveryMessageInOrder) {
  start();
  const std::string bytes = "FHS|^~\\&|LIS|LAB\rBHS|^~\\&|LIS|LAB\r" + message("B1") +
                            message("B2") + message("B3") + "BTS|3\rFTS|1\r";
  drop_file(at("batch.hl7"), bytes);
  ASSERT_TRUE(appears(done("batch.hl7")));
  EXPECT_EQ(received_raws(),
            (std::vector<std::string>{message("B1"), message("B2"), message("B3")}));
  EXPECT_EQ(listener_->counters().messages, 3u);
}

TEST_F(DropFolderTest, RejectedMessageSendsTheFileToErrorWithAReason) {
  start();
  drop_file(at("mixed.hl7"), message("M1") + unreadable("M2") + message("M3"));
  ASSERT_TRUE(appears(error("mixed.hl7.reason.txt")));
  // Written under a temporary name and renamed: nothing of it is left under that name.
  EXPECT_FALSE(fs::exists(error("mixed.hl7.reason.txt.tmp")));
  EXPECT_TRUE(fs::exists(error("mixed.hl7")));
  EXPECT_FALSE(fs::exists(at("mixed.hl7")));
  EXPECT_EQ(fake_.received_count(), 3u);  // every message was handed over and stored

  const std::string reason = read_file(error("mixed.hl7.reason.txt")).value_or("");
  EXPECT_NE(reason.find("mixed.hl7: 2 of 3 messages accepted"), std::string::npos) << reason;
  EXPECT_NE(reason.find("message 1 (line 1, control id M1): AA"), std::string::npos) << reason;
  EXPECT_NE(reason.find("message 2 (line 4, control id M2): AR, stored as message 2: "),
            std::string::npos)
      << reason;
  EXPECT_NE(reason.find("message 3 (line 6, control id M3): AA"), std::string::npos) << reason;
  EXPECT_EQ(listener_->counters().files_failed, 1u);
}

TEST_F(DropFolderTest, NameTakenInDoneGetsASuffixAndNothingIsOverwritten) {
  fs::create_directories(dir_.path() / "done");
  write_file(done("LAB.hl7"), "earlier file");
  start();
  drop_file(at("LAB.hl7"), message("D1"));
  ASSERT_TRUE(appears(done("LAB_1.hl7")));
  drop_file(at("LAB.hl7"), message("D2"));
  ASSERT_TRUE(appears(done("LAB_2.hl7")));
  EXPECT_EQ(read_file(done("LAB.hl7")), "earlier file");
  EXPECT_EQ(read_file(done("LAB_1.hl7")), message("D1"));
  EXPECT_EQ(read_file(done("LAB_2.hl7")), message("D2"));
}

TEST_F(DropFolderTest, EmptyAndMessagelessFilesGoToErrorWithTheReason) {
  start();
  drop_file(at("empty.hl7"), "");
  drop_file(at("notes.txt"), "nothing to see here\r\n");
  ASSERT_TRUE(appears(error("empty.hl7.reason.txt")));
  ASSERT_TRUE(appears(error("notes.txt.reason.txt")));
  EXPECT_EQ(read_file(error("empty.hl7.reason.txt")), "empty.hl7: the file is empty\n");
  EXPECT_NE(read_file(error("notes.txt.reason.txt"))->find("no HL7 message"), std::string::npos);
  EXPECT_EQ(read_file(error("notes.txt")), "nothing to see here\r\n");
  EXPECT_EQ(fake_.received_count(), 0u);
}

TEST_F(DropFolderTest, FilesAreTakenInNameOrder) {
  // Present before the first scan, so that all three are ready at the same time.
  write_file(at("LAB_20260305_0930.hl7"), message("T3"));
  write_file(at("LAB_20260305_0800.hl7"), message("T1"));
  write_file(at("LAB_20260305_0815.hl7"), message("T2"));
  start();
  ASSERT_TRUE(appears(done("LAB_20260305_0930.hl7")));
  EXPECT_EQ(received_raws(),
            (std::vector<std::string>{message("T1"), message("T2"), message("T3")}));
}

TEST_F(DropFolderTest, FileWithAMessageNotStoredStaysAndIsSentAgain) {
  std::atomic<int> calls{0};
  fake_.set_policy([&calls](const router::Envelope& e, std::int64_t id) {
    return calls.fetch_add(1) == 0 ? testing::store_failure(e, id) : testing::ingest_like(e, id);
  });
  DropFolderOptions options;
  options.store_retry_delay = 20ms;
  start(options);
  drop_file(at("retry.hl7"), message("R1"));
  ASSERT_TRUE(appears(done("retry.hl7")));
  EXPECT_EQ(fake_.received_count(), 2u);
  EXPECT_FALSE(fs::exists(error("retry.hl7")));
  EXPECT_EQ(listener_->counters().files_retried, 1u);
  EXPECT_EQ(listener_->counters().files_done, 1u);
}

TEST_F(DropFolderTest, PausedSourceLeavesFilesInTheFolderUntilResumed) {
  start();
  wait_scans(1);
  fake_.set_paused(true);  // back-pressure: Ingest says the source is paused
  drop_file(at("LAB_0100.hl7"), message("P1"));
  const std::uint64_t polls = listener_->counters().paused_polls;
  ASSERT_TRUE(wait_until([&] { return listener_->counters().paused_polls >= polls + 5; }));
  EXPECT_TRUE(fs::exists(at("LAB_0100.hl7")));
  EXPECT_FALSE(fs::exists(done("LAB_0100.hl7")));
  EXPECT_EQ(fake_.received_count(), 0u);

  fake_.set_paused(false);
  ASSERT_TRUE(appears(done("LAB_0100.hl7")));
  EXPECT_EQ(received_raws(), std::vector<std::string>{message("P1")});
  EXPECT_EQ(listener_->counters().files_done, 1u);
}

TEST_F(DropFolderTest, SourcePausedAtStartTakesNothingUntilResumed) {
  write_file(at("LAB_0200.hl7"), message("P2"));
  write_file(at("LAB_0201.hl7"), message("P3"));
  fake_.set_paused(true);
  start();
  ASSERT_TRUE(wait_until([&] { return listener_->counters().paused_polls >= 5; }));
  EXPECT_TRUE(fs::exists(at("LAB_0200.hl7")));
  EXPECT_TRUE(fs::exists(at("LAB_0201.hl7")));
  EXPECT_EQ(fake_.received_count(), 0u);

  fake_.set_paused(false);
  ASSERT_TRUE(appears(done("LAB_0201.hl7")));
  ASSERT_TRUE(appears(done("LAB_0200.hl7")));
  EXPECT_EQ(received_raws(), (std::vector<std::string>{message("P2"), message("P3")}));
}

TEST_F(DropFolderTest, NothingIsLost) {
  // Files already there, of every kind, and more dropped while the listener runs: each one
  // ends in done/ or error/ and each message reaches Ingest.
  std::set<std::string> expected_raws;
  std::size_t expected_messages = 0;
  auto make = [&](int n) {
    std::string bytes;
    const int count = 1 + n % 3;
    for (int m = 0; m < count; ++m) {
      const std::string id = "N" + std::to_string(n) + "_" + std::to_string(m);
      std::string one = (n % 7 == 3 && m == 1) ? unreadable(id) : message(id);
      expected_raws.insert(one);
      bytes += one;
    }
    expected_messages += static_cast<std::size_t>(count);
    // One message alone is stored as the whole file: the same bytes.
    return bytes;
  };
  for (int n = 0; n < 20; ++n) {
    write_file(at("early_" + std::to_string(100 + n) + ".hl7"), make(n));
  }
  start();
  for (int n = 20; n < 30; ++n) {
    drop_file(at("late_" + std::to_string(100 + n) + ".hl7"), make(n));
  }
  ASSERT_TRUE(wait_until([&] {
    const auto c = listener_->counters();
    return c.files_done + c.files_failed == 30;
  }));
  std::size_t in_done = 0;
  std::size_t in_error = 0;
  for (const auto& entry : fs::directory_iterator(dir_.path() / "done")) {
    in_done += entry.is_regular_file() ? 1u : 0u;
  }
  for (const auto& entry : fs::directory_iterator(dir_.path() / "error")) {
    in_error += entry.path().string().ends_with(".reason.txt") ? 0u : 1u;
  }
  EXPECT_EQ(in_done + in_error, 30u);
  EXPECT_GT(in_error, 0u);
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    EXPECT_FALSE(entry.is_regular_file()) << entry.path() << " left behind";
  }
  const auto raws = received_raws();
  EXPECT_EQ(raws.size(), expected_messages);
  EXPECT_EQ(std::set<std::string>(raws.begin(), raws.end()), expected_raws);
}

TEST_F(DropFolderTest, StartChecksTheFolderAndCharset) {
  DropFolderOptions options;
  options.name = "x";
  options.folder = dir_.path() / "missing";
  DropFolderListener missing(io_.ioc(), options, fake_);
  EXPECT_FALSE(missing.start());

  write_file(dir_.path() / "plain", "x");
  options.folder = dir_.path() / "plain";
  DropFolderListener not_a_folder(io_.ioc(), options, fake_);
  EXPECT_FALSE(not_a_folder.start());

  options.folder = dir_.path();
  options.charset = "NO-SUCH-CHARSET-42";
  DropFolderListener bad_charset(io_.ioc(), options, fake_);
  EXPECT_FALSE(bad_charset.start());

  options.charset = "UNICODE UTF-8";
  DropFolderListener fine(io_.ioc(), options, fake_);
  EXPECT_TRUE(fine.start());
  EXPECT_TRUE(fs::is_directory(dir_.path() / "done"));
  EXPECT_TRUE(fs::is_directory(dir_.path() / "error"));
  fine.stop();
}

TEST(DropFolderNamesTest, CandidateNames) {
  EXPECT_TRUE(is_drop_candidate("LAB_0001.hl7"));
  EXPECT_TRUE(is_drop_candidate("result.xml"));
  EXPECT_TRUE(is_drop_candidate("tmp.hl7"));
  for (const char* name : {"", ".hidden", ".LAB.hl7", "a.tmp", "a.TMP", "a.part", "a.Part",
                           "a.filepart", "a~", "a.hl7~"}) {
    EXPECT_FALSE(is_drop_candidate(name)) << name;
  }
}

TEST(DropFolderNamesTest, UniqueDestinationKeepsTheExtension) {
  testing::TempDir dir;
  EXPECT_EQ(unique_destination(dir.path(), "a.hl7"), dir.path() / "a.hl7");
  write_file(dir.path() / "a.hl7", "");
  EXPECT_EQ(unique_destination(dir.path(), "a.hl7"), dir.path() / "a_1.hl7");
  write_file(dir.path() / "a_1.hl7.reason.txt", "");  // a reason alone takes the name too
  EXPECT_EQ(unique_destination(dir.path(), "a.hl7"), dir.path() / "a_2.hl7");
  write_file(dir.path() / "noext", "");
  EXPECT_EQ(unique_destination(dir.path(), "noext"), dir.path() / "noext_1");
}

}  // namespace
}  // namespace hisbridge::file
