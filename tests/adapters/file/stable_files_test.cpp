#include "adapters/file/stable_files.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hisbridge::file {
namespace {

using namespace std::chrono_literals;

const StableFiles::Clock::time_point kT0{};

FileState state(std::uintmax_t size, int tick) {
  return {size, std::filesystem::file_time_type(std::chrono::seconds(tick))};
}

std::vector<std::string> names(const std::vector<std::pair<std::string, FileState>>& ready) {
  std::vector<std::string> out;
  for (const auto& [name, s] : ready) {
    out.push_back(name);
  }
  return out;
}

TEST(StableFilesTest, AFileIsReadyWhenTwoScansInARowSawItUnchanged) {
  StableFiles files;
  EXPECT_TRUE(files.update({{"a.hl7", state(10, 1)}}, kT0).empty());
  const auto ready = files.update({{"a.hl7", state(10, 1)}}, kT0);
  ASSERT_EQ(names(ready), std::vector<std::string>{"a.hl7"});
  EXPECT_EQ(ready[0].second, state(10, 1));
}

TEST(StableFilesTest, AFileThatGrowsOrIsTouchedIsNotReady) {
  StableFiles files;
  files.update({{"a.hl7", state(10, 1)}}, kT0);
  EXPECT_TRUE(files.update({{"a.hl7", state(20, 1)}}, kT0).empty());  // grew
  EXPECT_TRUE(files.update({{"a.hl7", state(20, 2)}}, kT0).empty());  // written again
  EXPECT_EQ(names(files.update({{"a.hl7", state(20, 2)}}, kT0)), std::vector<std::string>{"a.hl7"});
}

TEST(StableFilesTest, ReadyFilesComeInNameOrder) {
  StableFiles files;
  const StableFiles::Listing listing = {{"LAB_20260305_0903.hl7", state(1, 1)},
                                        {"LAB_20260305_0801.hl7", state(1, 1)},
                                        {"LAB_20260305_0802.hl7", state(1, 1)}};
  files.update(listing, kT0);
  EXPECT_EQ(names(files.update(listing, kT0)),
            (std::vector<std::string>{"LAB_20260305_0801.hl7", "LAB_20260305_0802.hl7",
                                      "LAB_20260305_0903.hl7"}));
}

TEST(StableFilesTest, ForgottenFileMustProveItselfStableAgain) {
  StableFiles files;
  files.update({{"a.hl7", state(10, 1)}}, kT0);
  ASSERT_EQ(files.update({{"a.hl7", state(10, 1)}}, kT0).size(), 1u);
  files.forget("a.hl7");
  EXPECT_TRUE(files.update({{"a.hl7", state(10, 1)}}, kT0).empty());
  EXPECT_EQ(files.update({{"a.hl7", state(10, 1)}}, kT0).size(), 1u);
}

TEST(StableFilesTest, StuckFileWaitsUntilItChanges) {
  StableFiles files;
  files.update({{"a.hl7", state(10, 1)}}, kT0);
  files.hold_until_changed("a.hl7", state(10, 1));
  EXPECT_TRUE(files.update({{"a.hl7", state(10, 1)}}, kT0).empty());
  EXPECT_TRUE(files.update({{"a.hl7", state(10, 1)}}, kT0).empty());
  EXPECT_TRUE(files.update({{"a.hl7", state(11, 2)}}, kT0).empty());  // changed: stable again?
  EXPECT_EQ(files.update({{"a.hl7", state(11, 2)}}, kT0).size(), 1u);
}

TEST(StableFilesTest, RetriedFileWaitsForItsTime) {
  StableFiles files;
  files.update({{"a.hl7", state(10, 1)}}, kT0);
  files.hold_until("a.hl7", kT0 + 30s);
  EXPECT_TRUE(files.update({{"a.hl7", state(10, 1)}}, kT0 + 29s).empty());
  EXPECT_EQ(files.update({{"a.hl7", state(10, 1)}}, kT0 + 30s).size(), 1u);
}

TEST(StableFilesTest, HoldsOnFilesThatAreGoneAreDropped) {
  StableFiles files;
  files.update({{"a.hl7", state(10, 1)}}, kT0);
  files.hold_until("a.hl7", kT0 + 30s);
  files.update({}, kT0);                         // moved away by someone
  files.update({{"a.hl7", state(10, 1)}}, kT0);  // a new file of the same name
  EXPECT_EQ(files.update({{"a.hl7", state(10, 1)}}, kT0).size(), 1u);
}

}  // namespace
}  // namespace hisbridge::file
