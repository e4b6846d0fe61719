#include "engine/app/parse_command.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/app/check_config_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge::app {
namespace {

namespace fs = std::filesystem;

const fs::path kFixtures = HISBRIDGE_FIXTURES_DIR;

struct CommandRun {
  int status;
  std::string out;
  std::string err;
};

CommandRun parse(const fs::path& file, bool json, std::string charset = {}) {
  std::ostringstream out;
  std::ostringstream err;
  ParseOptions options{file.string(), json, std::move(charset)};
  const int status = run_parse(options, out, err);
  return {status, out.str(), err.str()};
}

// Written into one folder of the test binary's own, removed when it exits.
fs::path write_temp(const std::string& name, const std::string& bytes) {
  static const testing_support::TempDir folder("hisbridge-parse");
  const fs::path path = folder.path() / name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(ParseCommandTest, JsonHasEveryLevelRawAndDecoded) {
  const CommandRun r = parse(kFixtures / "hl7" / "er7" / "oru-r01-vi-escapes.hl7", true);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["messages"].size(), 1u);
  const auto& segments = doc["messages"][0]["segments"];
  EXPECT_EQ(segments[0]["id"], "MSH");
  EXPECT_EQ(segments[0]["fields"][0]["raw"], "|");
  EXPECT_EQ(segments[0]["fields"][1]["raw"], "^~\\&");
  const auto& pid = segments[1];
  EXPECT_EQ(pid["fields"][4]["repetitions"][0][0][0], "Nguyễn");
  EXPECT_EQ(pid["fields"][2]["repetitions"][1][4][0], "HC");
  // OBX[2]-5 holds escapes: raw keeps them, value decodes them.
  const auto& obx2 = segments[6]["fields"][4];
  EXPECT_NE(obx2["raw"].get<std::string>().find("\\T\\"), std::string::npos);
  EXPECT_NE(obx2["value"].get<std::string>().find("huyết thanh | lipemia ^ nhẹ\nDòng 2"),
            std::string::npos);
  EXPECT_TRUE(segments[7]["fields"][4]["null"].get<bool>());
}

TEST(ParseCommandTest, TreeShowsPathsAndValues) {
  const CommandRun r = parse(kFixtures / "hl7" / "er7" / "oru-r01-vi-escapes.hl7", false);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("message 1: ORU^R01, control id LIS000123"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  PID-3[2]  0123456789^^^BHXH^HC\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    PID-5.1  Nguyễn\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OBX[4]\n"), std::string::npos) << r.out;
}

TEST(ParseCommandTest, ManyMessagesAndBadOnesNamePosition) {
  const fs::path file = write_temp(
      "many.hl7", "MSH|^~\\&|A|B|C|D|2026||ADT^A04|1|P|2.5\r\n\r\nMSH|^~\\&|A|B\rP D|x\r");
  const CommandRun r = parse(file, true);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(":3: message 2: segment 2 (byte 13)"), std::string::npos) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["messages"].size(), 1u);
  fs::remove(file);
}

TEST(ParseCommandTest, MissingFileAndEmptyFileAreBadInput) {
  EXPECT_EQ(parse("no/such/file.hl7", false).status, 2);
  const fs::path empty = write_temp("empty.hl7", "\n\n");
  const CommandRun r = parse(empty, false);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("no HL7 message"), std::string::npos);
  fs::remove(empty);
}

TEST(ParseCommandTest, CharsetOverrideReadsLegacyBytes) {
  const CommandRun r = parse(kFixtures / "hl7" / "charset" / "oru-r01-vi-cp1258.hl7", false, "CP1258");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Nguyễn"), std::string::npos) << r.out;
}

TEST(CheckConfigCommandTest, ValidAndInvalidConfigs) {
  std::ostringstream out;
  std::ostringstream err;
  const fs::path good = write_temp("good.json", R"({"listeners": [{"name": "lis", "port": 2575}]})");
  EXPECT_EQ(run_check_config(good.string(), out, err), 0) << err.str();
  const fs::path bad = write_temp("bad.json", "{\n  \"listners\": []\n}\n");
  EXPECT_EQ(run_check_config(bad.string(), out, err), 2);
  EXPECT_NE(err.str().find(":2:3: unknown key 'listners' (did you mean 'listeners'?)"),
            std::string::npos)
      << err.str();
  fs::remove(good);
  fs::remove(bad);
}

}  // namespace
}  // namespace hisbridge::app
