#include "adapters/fhir/bundle_file_writer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "adapters/fhir/error.hpp"
#include "tests/support/read_file.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge::fhir {
namespace {

namespace fs = std::filesystem;

class BundleFileWriterTest : public ::testing::Test {
 protected:
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(folder_)) {
      out.push_back(entry.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  static nlohmann::json bundle(const std::string& text) {
    return {
        {"resourceType", "Bundle"},
        {"type", "transaction"},
        {"entry", {{{"resource", {{"resourceType", "Patient"}, {"name", {{{"text", text}}}}}}}}}};
  }

  testing_support::TempDir temp_{"hisbridge-fhir-writer"};
  const fs::path& folder_ = temp_.path();
};

TEST_F(BundleFileWriterTest, WritesTheBundleUnderItsNameAndNothingElse) {
  const BundleFileWriter writer(folder_);
  auto path = writer.write(bundle("Nguyễn Thị Hoa"), "LIS250314004529");
  ASSERT_TRUE(path.has_value()) << path.error().message();
  EXPECT_EQ(*path, folder_ / "LIS250314004529.json");
  const auto read = nlohmann::json::parse(testing_support::read_file(*path), nullptr, false);
  EXPECT_EQ(read, bundle("Nguyễn Thị Hoa"));
  EXPECT_EQ(names(), std::vector<std::string>{"LIS250314004529.json"});  // no temporary left
}

TEST_F(BundleFileWriterTest, WritingANameAgainReplacesTheFile) {
  const BundleFileWriter writer(folder_);
  ASSERT_TRUE(writer.write(bundle("first"), "msg-1").has_value());
  ASSERT_TRUE(writer.write(bundle("second"), "msg-1").has_value());
  const auto read =
      nlohmann::json::parse(testing_support::read_file(folder_ / "msg-1.json"), nullptr, false);
  EXPECT_EQ(read, bundle("second"));
  EXPECT_EQ(names(), std::vector<std::string>{"msg-1.json"});
}

TEST_F(BundleFileWriterTest, InvalidUtf8IsReplacedNotThrown) {
  const BundleFileWriter writer(folder_);
  auto path = writer.write(bundle(std::string("Ho\xff") + "a"), "bad-utf8");
  ASSERT_TRUE(path.has_value()) << path.error().message();
  const std::string text = testing_support::read_file(*path);
  EXPECT_NE(text.find("Ho\xEF\xBF\xBD"
                      "a"),
            std::string::npos);  // U+FFFD
}

TEST_F(BundleFileWriterTest, RefusesNamesThatAreNotPlainFileNames) {
  const BundleFileWriter writer(folder_);
  for (const std::string& name : {std::string(), std::string("../escape"), std::string("a/b"),
                                  std::string(".hidden"), std::string("nul\0x", 5)}) {
    auto path = writer.write(bundle("x"), name);
    ASSERT_FALSE(path.has_value()) << name;
    EXPECT_EQ(path.error(), make_error_code(Error::invalid_name)) << name;
  }
  EXPECT_TRUE(names().empty());
}

TEST_F(BundleFileWriterTest, AMissingFolderIsAnErrorWithNothingLeftBehind) {
  const BundleFileWriter writer(folder_ / "absent");
  auto path = writer.write(bundle("x"), "msg");
  ASSERT_FALSE(path.has_value());
  EXPECT_EQ(path.error(), std::errc::no_such_file_or_directory);
  EXPECT_TRUE(names().empty());
}

TEST_F(BundleFileWriterTest, AFolderThatIsAFileIsAnError) {
  std::ofstream(folder_ / "plain") << "x";
  const BundleFileWriter writer(folder_ / "plain");
  auto path = writer.write(bundle("x"), "msg");
  ASSERT_FALSE(path.has_value());
  EXPECT_EQ(path.error(), std::errc::not_a_directory);
}

// Writers on several threads never share a temporary file: every bundle arrives whole.
TEST_F(BundleFileWriterTest, ConcurrentWritersOfTheSameNameLeaveOneWholeFile) {
  const BundleFileWriter writer(folder_);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&writer, t] {
      for (int i = 0; i < 25; ++i) {
        EXPECT_TRUE(writer.write(bundle("writer " + std::to_string(t)), "shared").has_value());
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(names(), std::vector<std::string>{"shared.json"});
  const auto read =
      nlohmann::json::parse(testing_support::read_file(folder_ / "shared.json"), nullptr, false);
  ASSERT_FALSE(read.is_discarded());
  EXPECT_EQ(read["type"], "transaction");
}

}  // namespace
}  // namespace hisbridge::fhir
