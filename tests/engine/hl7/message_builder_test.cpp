#include "engine/hl7/message_builder.hpp"

#include <gtest/gtest.h>

namespace hisbridge::hl7 {
namespace {

TEST(MessageBuilderTest, UnmodifiedCopyWritesBackByteForByte) {
  const std::string text =
      "MSH|^~\\&|A|B|||20260101||ORU^R01|1|P|2.5\r\nPID|1||X~Y||Lò^Văn^Pao|||\r\n\r\nOBX|1|ST\n";
  auto m = Message::parse(text);
  ASSERT_TRUE(m);
  EXPECT_EQ(MessageBuilder::from(*m).to_er7(), text);
}

TEST(MessageBuilderTest, BuildsAMessageAndEscapesValues) {
  MessageBuilder b;
  ASSERT_TRUE(b.add_segment("MSH"));
  ASSERT_TRUE(b.set("MSH-3", "LIS"));
  ASSERT_TRUE(b.set("MSH-9.1", "ORU"));
  ASSERT_TRUE(b.set("MSH-9.2", "R01"));
  ASSERT_TRUE(b.set("PID-5.1", "Nguyễn"));
  ASSERT_TRUE(b.set("PID-5.2", "Hoa"));
  ASSERT_TRUE(b.set("OBX-5", "1|2^3&4~5\\6\nnext"));
  ASSERT_TRUE(b.set("OBX[2]-3.1.2", "sub"));
  EXPECT_EQ(b.to_er7(),
            "MSH|^~\\&|LIS||||||ORU^R01\r"
            "PID|||||Nguyễn^Hoa\r"
            "OBX|||||1\\F\\2\\S\\3\\T\\4\\R\\5\\E\\6\\.br\\next\r"
            "OBX|||&sub\r");
  auto built = b.build();
  ASSERT_TRUE(built);
  EXPECT_EQ(built->get("OBX-5").value(), "1|2^3&4~5\\6\nnext");
  EXPECT_EQ(built->get("OBX[2]-3.1.2").value(), "sub");
  EXPECT_EQ(built->get("PID-5.1").value(), "Nguyễn");
}

TEST(MessageBuilderTest, EditsOneRepetitionAndKeepsTheRest) {
  auto m = Message::parse("MSH|^~\\&|A\rPID|1||ID1^^^H^MR~ID2^^^B^HC||Old^Name\r");
  ASSERT_TRUE(m);
  MessageBuilder b = MessageBuilder::from(*m);
  ASSERT_TRUE(b.set("PID-3[2].1", "ID9"));
  ASSERT_TRUE(b.set("PID-3[3].5", "NI"));
  ASSERT_TRUE(b.set("PID-5", "Whole^Field"));
  EXPECT_EQ(b.to_er7(), "MSH|^~\\&|A\rPID|1||ID1^^^H^MR~ID9^^^B^HC~^^^^NI||Whole\\S\\Field\r");
}

TEST(MessageBuilderTest, RefusesWhatCannotBeBuilt) {
  MessageBuilder b;
  EXPECT_FALSE(b.add_segment("pid"));
  EXPECT_FALSE(b.set("MSH-1", "#"));
  EXPECT_FALSE(b.set("MSH-2", "^~"));
  EXPECT_FALSE(b.set("PID", "x"));
  EXPECT_FALSE(b.set("OBX[3]-1", "x")) << "cannot skip to the third OBX";
  EXPECT_FALSE(b.set("bad", "x"));
}

TEST(MessageBuilderTest, WritesWithTheMessagesOwnDelimiters) {
  auto m = Message::parse("MSH#$%!*#A\rPID#1##X\r");
  ASSERT_TRUE(m);
  MessageBuilder b = MessageBuilder::from(*m);
  ASSERT_TRUE(b.set("PID-3.2", "a#b"));
  EXPECT_EQ(b.to_er7(), "MSH#$%!*#A\rPID#1##X$a!F!b\r");
}

}  // namespace
}  // namespace hisbridge::hl7
