#include "engine/hl7/ack.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace hisbridge::hl7 {
namespace {

const AckOptions kOptions{"ACK0001", "20260305081501+0700"};

// Owned, because most texts here are ACKs that build_ack returns as temporaries.
Message parsed(std::string text) {
  auto m = Message::parse_owned(std::move(text));
  EXPECT_TRUE(m) << (m ? "" : m.error().message());
  return m ? *m : Message();
}

TEST(AckTest, OriginalModeAcceptSwapsSenderAndReceiver) {
  const Message m = parsed(
      "MSH|^~\\&|LIS^1.2.3^ISO|LAB|HIS|HOSP|20260305081500||ORU^R01^ORU_R01|C123|P|2.5.1\r"
      "PID|1||X\r");
  const std::string ack = build_ack(m, AckCode::accept, {}, kOptions);
  EXPECT_EQ(ack,
            "MSH|^~\\&|HIS|HOSP|LIS^1.2.3^ISO|LAB|20260305081501+0700||ACK^R01^ACK|ACK0001|P|2.5.1\r"
            "MSA|AA|C123\r");
  const Message a = parsed(ack);
  EXPECT_EQ(a.get("MSA-2").value(), m.get("MSH-10").value());
}

TEST(AckTest, EnhancedModeWhenMsh15Or16AreValued) {
  const Message m = parsed("MSH|^~\\&|LIS|LAB|HIS|HOSP|2026||ORU^R01|C9|P|2.5|||AL|NE\r");
  EXPECT_EQ(ack_mode(m.header()), AckMode::enhanced);
  const Message a = parsed(build_ack(m, AckCode::accept, {}, kOptions));
  EXPECT_EQ(a.get("MSA-1").value(), "CA");
  const Message r = parsed(build_ack(m, AckCode::reject, {}, kOptions));
  EXPECT_EQ(r.get("MSA-1").value(), "CR");
  const Message e = parsed(build_ack(m, AckCode::error, {}, kOptions));
  EXPECT_EQ(e.get("MSA-1").value(), "CE");
}

TEST(AckTest, AcceptAckConditionFollowsMsh15) {
  MessageHeader h;
  EXPECT_TRUE(wants_accept_ack(h, AckCode::accept));
  h.accept_ack_type = "NE";
  EXPECT_FALSE(wants_accept_ack(h, AckCode::reject));
  h.accept_ack_type = "ER";
  EXPECT_FALSE(wants_accept_ack(h, AckCode::accept));
  EXPECT_TRUE(wants_accept_ack(h, AckCode::error));
  h.accept_ack_type = "SU";
  EXPECT_TRUE(wants_accept_ack(h, AckCode::accept));
  EXPECT_FALSE(wants_accept_ack(h, AckCode::reject));
  h.accept_ack_type = "AL";
  EXPECT_TRUE(wants_accept_ack(h, AckCode::reject));
}

TEST(AckTest, EveryIssueBecomesAnErrSegmentInV25Layout) {
  const Message m = parsed("MSH|^~\\&|LIS|LAB|HIS|HOSP|2026||ORU^R01|C7|P|2.5\r");
  std::vector<AckIssue> issues(2);
  issues[0].hl7_code = 101;
  issues[0].segment_id = "PID";
  issues[0].segment_sequence = 1;
  issues[0].field = 3;
  issues[0].diagnostic = "PID-3 is empty | required";
  issues[1].hl7_code = 207;
  issues[1].severity = 'W';
  issues[1].diagnostic = "store slow";
  const Message a = parsed(build_ack(m, AckCode::error, issues, kOptions));
  EXPECT_EQ(a.get("MSA-1").value(), "AE");
  EXPECT_EQ(a.get("MSA-3").value(), "PID-3 is empty | required");
  ASSERT_EQ(a.all("ERR").size(), 2u);
  EXPECT_EQ(a.get("ERR-2").raw(), "PID^1^3");
  EXPECT_EQ(a.get("ERR-3").raw(), "101^Required field missing^HL70357");
  EXPECT_EQ(a.get("ERR-4").value(), "E");
  EXPECT_EQ(a.get("ERR-7").value(), "PID-3 is empty | required");
  EXPECT_EQ(a.get("ERR[2]-3.1").value(), "207");
  EXPECT_EQ(a.get("ERR[2]-4").value(), "W");
}

TEST(AckTest, EchoesTheSendersDelimitersAndUtf8Charset) {
  const Message m = parsed("MSH^~|\\&^A^F^B^G^2026^^ORU~R01^C1^P^2.5^^^^^^UNICODE UTF-8\r");
  const std::string ack = build_ack(m, AckCode::accept, {}, kOptions);
  const Message a = parsed(ack);
  EXPECT_EQ(a.delimiters(), m.delimiters());
  EXPECT_EQ(a.get("MSH-9.2").value(), "R01");
  EXPECT_EQ(a.get("MSH-18").value(), "UNICODE UTF-8");
  EXPECT_EQ(a.get("MSA-2").value(), "C1");
}

TEST(AckTest, RejectForUnreadableBytesEchoesWhatItCanRead) {
  const std::string bytes = "MSH|^~\\&|LIS|LAB|HIS|HOSP|2026||ORU^R01|C55|P|2.5|||AL\rP!D|1\r";
  auto failed = Message::parse(bytes);
  ASSERT_FALSE(failed);
  const Message a = parsed(build_reject(bytes, failed.error(), kOptions));
  EXPECT_EQ(a.get("MSA-1").value(), "CR");
  EXPECT_EQ(a.get("MSA-2").value(), "C55");
  EXPECT_EQ(a.get("MSH-3").value(), "HIS");
  EXPECT_EQ(a.get("MSH-5").value(), "LIS");
  EXPECT_EQ(a.get("MSH-9").raw(), "ACK^R01^ACK");
  EXPECT_EQ(a.get("ERR-3.1").value(), "100");
  EXPECT_EQ(a.get("ERR-2.2").value(), "2");
  EXPECT_NE(a.get("ERR-7").value().find("P!D"), std::string::npos);
}

TEST(AckTest, RejectForGarbageIsStillAValidAck) {
  const std::string garbage = "\x01\x02hello";
  auto failed = Message::parse(garbage);
  ASSERT_FALSE(failed);
  const Message a = parsed(build_reject(garbage, failed.error(), kOptions));
  EXPECT_EQ(a.get("MSA-1").value(), "AR");
  EXPECT_EQ(a.get("MSA-2").value(), "");
  EXPECT_EQ(a.get("MSH-9.1").value(), "ACK");
}

}  // namespace
}  // namespace hisbridge::hl7
