#include "engine/core/durable_file.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/read_file.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge {
namespace {

namespace fs = std::filesystem;
using testing_support::read_file;

class DurableFileTest : public ::testing::Test {
 protected:
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(folder_)) {
      out.push_back(entry.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  testing_support::TempDir temp_{"hisbridge-durable-file"};
  const fs::path& folder_ = temp_.path();
};

TEST_F(DurableFileTest, WritesTheBytesExactlyUnderTheNameAndNothingElse) {
  const std::string bytes =
      std::string("MSH|^~\\&|\r\0PID|||Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b Hoa\r", 36);
  ASSERT_TRUE(write_file_durably(folder_, "msg-1.hl7", bytes));
  EXPECT_EQ(read_file(folder_ / "msg-1.hl7"), bytes);
  EXPECT_EQ(names(), std::vector<std::string>{"msg-1.hl7"});
}

TEST_F(DurableFileTest, WritingANameAgainReplacesTheFile) {
  ASSERT_TRUE(write_file_durably(folder_, "msg-1.json", "a longer first version"));
  ASSERT_TRUE(write_file_durably(folder_, "msg-1.json", "second"));
  EXPECT_EQ(read_file(folder_ / "msg-1.json"), "second");
  EXPECT_EQ(names(), std::vector<std::string>{"msg-1.json"});
}

TEST_F(DurableFileTest, EmptyBytesMakeAnEmptyFile) {
  ASSERT_TRUE(write_file_durably(folder_, "empty", ""));
  EXPECT_TRUE(fs::exists(folder_ / "empty"));
  EXPECT_EQ(fs::file_size(folder_ / "empty"), 0u);
}

TEST_F(DurableFileTest, ATemporaryLeftByAPowerCutIsReusedAndGone) {
  std::ofstream(folder_ / "LK1.xml.tmp") << "half a file from a power cut, longer than the new one";
  ASSERT_TRUE(write_file_durably(folder_, "LK1.xml", "whole"));
  EXPECT_EQ(read_file(folder_ / "LK1.xml"), "whole");
  EXPECT_EQ(names(), std::vector<std::string>{"LK1.xml"});
}

TEST_F(DurableFileTest, RefusesNamesThatAreNotPlainFileNames) {
  for (const std::string& name : {std::string(), std::string("."), std::string(".."),
                                  std::string("../escape"), std::string("a/b"),
                                  std::string("nul\0x", 5)}) {
    auto written = write_file_durably(folder_, name, "x");
    ASSERT_FALSE(written) << name;
    EXPECT_EQ(written.error(), boost::system::errc::invalid_argument) << name;
  }
  EXPECT_TRUE(names().empty());
}

TEST_F(DurableFileTest, AMissingFolderIsTheSystemsError) {
  auto written = write_file_durably(folder_ / "absent", "msg", "x");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error(), boost::system::errc::no_such_file_or_directory);
  EXPECT_FALSE(written.error().message().empty());
  EXPECT_TRUE(names().empty());
}

// A file size limit makes write(2) fail with EFBIG part way, as a full disk makes it fail with
// ENOSPC: the old file stays as it was and no temporary is left.
TEST_F(DurableFileTest, AFailedWriteKeepsTheOldFileAndLeavesNoTemporary) {
  ASSERT_TRUE(write_file_durably(folder_, "msg-1.hl7", "old"));
  const auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit previous{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &previous), 0);
  rlimit small = previous;
  small.rlim_cur = 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  auto written = write_file_durably(folder_, "msg-1.hl7", std::string(4096, 'x'));
  ::setrlimit(RLIMIT_FSIZE, &previous);
  std::signal(SIGXFSZ, previous_handler);

  ASSERT_FALSE(written);
  EXPECT_EQ(written.error(), boost::system::errc::file_too_large);
  EXPECT_EQ(read_file(folder_ / "msg-1.hl7"), "old");
  EXPECT_EQ(names(), std::vector<std::string>{"msg-1.hl7"});
}

// Writers of one name in several threads take turns: a reader of the folder meanwhile only
// ever finds one writer's bytes, whole.
TEST_F(DurableFileTest, ConcurrentWritersOfOneNameLeaveOnlyWholeFiles) {
  constexpr std::size_t kSize = 64 * 1024;
  std::atomic<bool> writing = true;
  std::atomic<int> torn = 0;
  std::thread reader([&] {
    while (writing) {
      const std::string seen = read_file(folder_ / "shared");
      const bool whole = seen.empty() || (seen.size() == kSize &&
                                          std::all_of(seen.begin(), seen.end(),
                                                      [&](char c) { return c == seen.front(); }));
      torn += whole ? 0 : 1;
    }
  });
  std::vector<std::thread> writers;
  for (char letter : {'a', 'b', 'c', 'd'}) {
    writers.emplace_back([&, letter] {
      for (int i = 0; i < 20; ++i) {
        EXPECT_TRUE(write_file_durably(folder_, "shared", std::string(kSize, letter)));
      }
    });
  }
  for (auto& writer : writers) {
    writer.join();
  }
  writing = false;
  reader.join();
  EXPECT_EQ(torn, 0);
  EXPECT_EQ(names(), std::vector<std::string>{"shared"});
  EXPECT_EQ(fs::file_size(folder_ / "shared"), kSize);
}

}  // namespace
}  // namespace hisbridge
