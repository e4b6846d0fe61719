#include "adapters/file/file_destination.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/read_file.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/kept_values.hpp"

namespace hisbridge::file {
namespace {

namespace fs = std::filesystem;
using router::Delivery;
using testing_support::read_file;

// Vietnamese names and a lab value whose text a JSON number would change.
const std::string kRaw =
    "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01^ORU_R01|LIS0001|P|2.5|||||VNM|UNICODE "
    "UTF-8\rPID|1||BN001^^^HOSP^MR||Nguyễn^Thị Hoa\rOBX|1|NM|GLU^Glucose||5.0|mmol/L\r";

std::shared_ptr<const mapping::RecordShape> result_shape() {
  auto shape = std::make_shared<mapping::RecordShape>();
  shape->table = "his_result";
  shape->columns = {"order_no", "test_code", "seq", "test_name", "value", "unit", "ref_range"};
  shape->key = {0, 1, 2};
  return shape;
}

mapping::Record result(std::string test_code, std::string value) {
  using mapping::Value;
  return {result_shape(),
          {Value::of_text("O1"), testing_support::kept_text(test_code),
           Value{Value::Type::integer, "1"}, Value::of_text("Định lượng Glucose [Máu]"),
           testing_support::kept_value(Value::Type::number, value), Value::of_text("mmol/L"),
           Value::null()}};
}

class FileDestinationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stored_.id = 42;
    stored_.message.raw = kRaw;
    stored_.message.control_id = "LIS0001";
  }
  void TearDown() override {
    // A folder a test locked would keep what is in it from being removed.
    std::error_code ignored;
    fs::permissions(root_ / "locked", fs::perms::owner_all, ignored);
  }

  Delivery deliver(FileDestination& destination) {
    return destination.deliver({stored_, nullptr, output_});
  }

  std::vector<std::string> names(const fs::path& folder) const {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(folder)) {
      out.push_back(entry.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  testing_support::TempDir temp_{"hisbridge-file-destination"};
  const fs::path& root_ = temp_.path();
  store::StoredMessage stored_;
  mapping::MappingOutput output_;
};

TEST_F(FileDestinationTest, RawContentIsTheMessageByteForByte) {
  FileDestination destination("archive", root_, FileContent::raw);
  const Delivery d = deliver(destination);
  ASSERT_EQ(d.outcome, Delivery::Outcome::delivered) << d.reason;
  EXPECT_EQ(read_file(root_ / "msg-42.hl7"), kRaw);
  EXPECT_EQ(names(root_), std::vector<std::string>{"msg-42.hl7"});
}

TEST_F(FileDestinationTest, RecordsContentIsJsonWithEveryValueAsItsText) {
  output_.records = {result("GLU", "5.0"), result("URE", "007")};
  FileDestination destination("records", root_, FileContent::records);
  const Delivery d = deliver(destination);
  ASSERT_EQ(d.outcome, Delivery::Outcome::delivered) << d.reason;

  const std::string text = read_file(root_ / "msg-42.json");
  const auto expected = nlohmann::json::parse(R"({
    "message_id": 42, "control_id": "LIS0001",
    "records": [
      {"table": "his_result", "values": {"order_no": "O1", "test_code": "GLU", "seq": "1",
        "test_name": "Định lượng Glucose [Máu]", "value": "5.0", "unit": "mmol/L",
        "ref_range": null}},
      {"table": "his_result", "values": {"order_no": "O1", "test_code": "URE", "seq": "1",
        "test_name": "Định lượng Glucose [Máu]", "value": "007", "unit": "mmol/L",
        "ref_range": null}}]})");
  EXPECT_EQ(nlohmann::json::parse(text, nullptr, false), expected) << text;
  // The text itself: values quoted as written, UTF-8 not \u-escaped, columns in mapping order.
  EXPECT_NE(text.find(R"("value": "5.0")"), std::string::npos) << text;
  EXPECT_NE(text.find("Định lượng"), std::string::npos) << text;
  EXPECT_LT(text.find("\"order_no\""), text.find("\"ref_range\""));
  EXPECT_EQ(names(root_), std::vector<std::string>{"msg-42.json"});
}

TEST_F(FileDestinationTest, NoRecordsWriteNoFile) {
  FileDestination destination("records", root_, FileContent::records);
  EXPECT_EQ(deliver(destination).outcome, Delivery::Outcome::delivered);
  EXPECT_TRUE(names(root_).empty());
}

TEST_F(FileDestinationTest, AnOwnMappingThatIsNotLoadedFailsTheMessage) {
  output_.records = {result("GLU", "5.0")};
  FileDestination destination("records", root_, FileContent::records,
                              [] { return std::shared_ptr<const mapping::Mapping>(); });
  EXPECT_EQ(deliver(destination).outcome, Delivery::Outcome::failed);
  EXPECT_TRUE(names(root_).empty());
}

TEST_F(FileDestinationTest, TheSameMessageTwiceLeavesOneIdenticalFile) {
  output_.records = {result("GLU", "5.0")};
  for (const FileContent content : {FileContent::raw, FileContent::records}) {
    FileDestination destination("twice", root_, content);
    ASSERT_EQ(deliver(destination).outcome, Delivery::Outcome::delivered);
    const fs::path file = root_ / FileDestination::file_name(42, content);
    const std::string first = read_file(file);
    ASSERT_EQ(deliver(destination).outcome, Delivery::Outcome::delivered);
    EXPECT_EQ(read_file(file), first);
  }
  // Nothing else: no temporary left behind by either write.
  EXPECT_EQ(names(root_), (std::vector<std::string>{"msg-42.hl7", "msg-42.json"}));
}

TEST_F(FileDestinationTest, AMissingFolderIsMade) {
  const fs::path folder = root_ / "out" / "lab";
  FileDestination destination("archive", folder, FileContent::raw);
  ASSERT_EQ(deliver(destination).outcome, Delivery::Outcome::delivered);
  EXPECT_EQ(read_file(folder / "msg-42.hl7"), kRaw);
  fs::remove_all(folder);  // an operator clears it while the engine runs
  stored_.id = 43;
  ASSERT_EQ(deliver(destination).outcome, Delivery::Outcome::delivered);
  EXPECT_EQ(names(folder), std::vector<std::string>{"msg-43.hl7"});
}

TEST_F(FileDestinationTest, AFolderThatCannotBeMadeIsRetriedWithTheReason) {
  std::ofstream(root_ / "plain") << "a file where the folder should be";
  FileDestination destination("archive", root_ / "plain" / "out", FileContent::raw);
  const Delivery d = deliver(destination);
  EXPECT_EQ(d.outcome, Delivery::Outcome::retry);
  EXPECT_NE(d.reason.find("Not a directory"), std::string::npos) << d.reason;
}

TEST_F(FileDestinationTest, AnUnwritableFolderIsRetriedWithTheReason) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "permissions do not bind root";
  }
  const fs::path folder = root_ / "locked";
  fs::create_directory(folder);
  fs::permissions(folder, fs::perms::owner_read | fs::perms::owner_exec);
  FileDestination destination("archive", folder, FileContent::raw);
  const Delivery d = deliver(destination);
  EXPECT_EQ(d.outcome, Delivery::Outcome::retry);
  EXPECT_NE(d.reason.find("Permission denied"), std::string::npos) << d.reason;
  EXPECT_TRUE(names(folder).empty());
}

// A name the folder already holds as a folder: the rename fails, as a write fails on a full
// disk, and that is retried (an operator can move the folder away) with nothing left behind.
TEST_F(FileDestinationTest, AWriteThatFailsIsRetriedAndLeavesNoTemporary) {
  fs::create_directory(root_ / "msg-42.hl7");
  std::ofstream(root_ / "msg-42.hl7" / "keep") << "x";
  FileDestination destination("archive", root_, FileContent::raw);
  const Delivery d = deliver(destination);
  EXPECT_EQ(d.outcome, Delivery::Outcome::retry);
  EXPECT_NE(d.reason.find("msg-42.hl7"), std::string::npos) << d.reason;
  EXPECT_EQ(names(root_), std::vector<std::string>{"msg-42.hl7"});
  EXPECT_TRUE(fs::is_directory(root_ / "msg-42.hl7"));
}

}  // namespace
}  // namespace hisbridge::file
