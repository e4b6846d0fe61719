#include "adapters/mllp/received_ack.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/mllp/error.hpp"
#include "engine/hl7/ack.hpp"
#include "engine/hl7/message.hpp"
#include "engine/hl7/utf8.hpp"

namespace hisbridge::mllp {
namespace {

const std::string kMessage =
    "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01^ORU_R01|LIS0001|P|2.5\r"
    "PID|1||BN001^^^HOSP^MR||Nguyễn^Thị Hoa\r";

std::string ack(hl7::AckCode code, std::vector<hl7::AckIssue> issues = {}) {
  const auto message = hl7::Message::parse(kMessage);
  return hl7::build_ack(*message, code, issues, {"ACK1", "20260305081501+0700"});
}

hl7::AckIssue issue(std::string diagnostic, int code = 207) {
  hl7::AckIssue out;
  out.hl7_code = code;
  out.diagnostic = std::move(diagnostic);
  return out;
}

TEST(ReceivedAckTest, ReadsAnAcceptFromTheAckBuilder) {
  auto read = read_ack(ack(hl7::AckCode::accept));
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(read->verdict, ReceivedAck::Verdict::accepted);
  EXPECT_EQ(read->code, "AA");
  EXPECT_EQ(read->control_id, "LIS0001");
  EXPECT_EQ(read->text, "");
}

TEST(ReceivedAckTest, AnErrorCarriesMsa3AndTheErrTextOnce) {
  auto read = read_ack(ack(hl7::AckCode::error, {issue("database busy, send again")}));
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(read->verdict, ReceivedAck::Verdict::error);
  EXPECT_EQ(read->code, "AE");
  // MSA-3 and ERR-7 say the same: once; then ERR-3's code and text.
  EXPECT_EQ(read->text, "database busy, send again; 207 Application internal error");
}

TEST(ReceivedAckTest, ARejectIsRejected) {
  auto read = read_ack(ack(hl7::AckCode::reject, {issue("unknown patient", 204)}));
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(read->verdict, ReceivedAck::Verdict::rejected);
  EXPECT_EQ(read->code, "AR");
  EXPECT_NE(read->text.find("unknown patient"), std::string::npos) << read->text;
}

TEST(ReceivedAckTest, EnhancedModeCodes) {
  const auto verdict = [](std::string_view code) {
    std::string text = "MSH|^~\\&|HIS|HOSP|LIS|LAB|20260305||ACK|A1|P|2.5\rMSA|";
    text += code;
    text += "|LIS0001\r";
    return read_ack(text)->verdict;
  };
  EXPECT_EQ(verdict("CA"), ReceivedAck::Verdict::accepted);
  EXPECT_EQ(verdict("CE"), ReceivedAck::Verdict::error);
  EXPECT_EQ(verdict("CR"), ReceivedAck::Verdict::rejected);
}

TEST(ReceivedAckTest, Version23ErrLocationText) {
  auto read = read_ack(
      "MSH|^~\\&|HIS|HOSP|LIS|LAB|20260305||ACK|A1|P|2.3\rMSA|AR|LIS0001\r"
      "ERR|PID^1^3^204&Unknown key identifier\r");
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(read->text, "204 Unknown key identifier");
}

TEST(ReceivedAckTest, WhatIsNotAnAckIsRefused) {
  for (const std::string& frame :
       {std::string(), std::string("this is not HL7"), kMessage,
        std::string("MSH|^~\\&|HIS|HOSP|LIS|LAB|20260305||ACK|A1|P|2.5\rMSA|OK|LIS0001\r"),
        std::string("MSH|^~\\&|HIS|HOSP|LIS|LAB|20260305||ACK|A1|P|2.5\rMSA||LIS0001\r")}) {
    auto read = read_ack(frame);
    ASSERT_FALSE(read) << frame;
    EXPECT_EQ(read.error(), make_error_code(Error::not_an_ack)) << frame;
  }
}

TEST(ReceivedAckTest, TextIsMadeFitForAReason) {
  std::string long_text;
  while (long_text.size() < 400) {
    long_text += "Định lượng ";
  }
  const std::string frame = "MSH|^~\\&|HIS|HOSP|LIS|LAB|20260305||ACK|A1|P|2.5\rMSA|AE|LIS0001|" +
                            std::string("Ho\xff\x01") + "a\rERR||||E|||" + long_text + "\r";
  auto read = read_ack(frame);
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_TRUE(read->text.starts_with("Ho\xEF\xBF\xBD a; Định lượng")) << read->text;
  EXPECT_LE(read->text.size(), ReceivedAck::kMaxTextBytes);
  EXPECT_GT(read->text.size(), ReceivedAck::kMaxTextBytes - 4);
  EXPECT_TRUE(hl7::is_valid_utf8(read->text)) << read->text;
}

}  // namespace
}  // namespace hisbridge::mllp
