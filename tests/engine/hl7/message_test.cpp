#include "engine/hl7/message.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace hisbridge::hl7 {
namespace {

constexpr std::string_view kOru =
    "MSH|^~\\&|LIS|BV_TINH|HIS|BV_TINH|20260305081500+0700||ORU^R01^ORU_R01|C1|P|2.5|||AL|NE|VNM|"
    "UNICODE UTF-8\r"
    "PID|1||BN1^^^BV^PI~HC9^^^BHXH^HC||Nguyễn^Hoa^Thị||19850412|F\r"
    "OBR|1|ORD1|F1|GLU^Glucose^L\r"
    "OBX|1|NM|GLU^Glucose máu^L||7.8|mmol/L|3.9-6.4|H|||F\r"
    "NTE|1||lipemia\r"
    "OBR|2|ORD2|F2|K^Kali^L\r"
    "OBX|1|NM|K^Kali^L||\"\"|mmol/L\r"
    "OBX|2|ST|CMT^Ghi chú^L||a\\F\\b\\.br\\c\r"
    "SPM|1|S1\r";

Message parse_ok(std::string_view bytes) {
  auto m = Message::parse(bytes);
  EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().message());
  return m ? *m : Message();
}

TEST(MessageTest, ReadsFieldsComponentsAndRepetitionsByPath) {
  const Message m = parse_ok(kOru);
  EXPECT_EQ(m.segment_count(), 9u);
  EXPECT_EQ(m.get("PID-5").raw(), "Nguyễn^Hoa^Thị");
  EXPECT_EQ(m.get("PID-5.1").value(), "Nguyễn");
  EXPECT_EQ(m.get("PID-3[2].1").value(), "HC9");
  EXPECT_EQ(m.get("PID-3[2].5").value(), "HC");
  EXPECT_EQ(m.get("PID-3.1").value(), "BN1");
  EXPECT_EQ(m.get("PID-3").repetition_count(), 2u);
  EXPECT_EQ(m.get("OBX[3]-5").value(), "a|b\nc");
  EXPECT_EQ(m.get("OBX[1]-3.2").value(), "Glucose máu");
  EXPECT_EQ(m.get("OBR[2]-4.1").value(), "K");
}

TEST(MessageTest, MshFieldNumberingStartsWithTheSeparator) {
  const Message m = parse_ok(kOru);
  EXPECT_EQ(m.get("MSH-1").raw(), "|");
  EXPECT_EQ(m.get("MSH-2").raw(), "^~\\&");
  EXPECT_EQ(m.get("MSH-2").component_count(), 1u) << "MSH-2 is never split";
  EXPECT_EQ(m.get("MSH-3").value(), "LIS");
  EXPECT_EQ(m.get("MSH-9.2").value(), "R01");
  EXPECT_EQ(m.get("MSH-10").value(), "C1");
  EXPECT_EQ(m.get("MSH-18").value(), "UNICODE UTF-8");
  const MessageHeader h = m.header();
  EXPECT_EQ(h.message_code, "ORU");
  EXPECT_EQ(h.trigger_event, "R01");
  EXPECT_EQ(h.message_structure, "ORU_R01");
  EXPECT_EQ(h.version, "2.5");
  EXPECT_EQ(h.accept_ack_type, "AL");
}

TEST(MessageTest, TellsAbsentEmptyAndNullApart) {
  const Message m = parse_ok(kOru);
  const Element null_value = m.get("OBX[2]-5");
  EXPECT_TRUE(null_value.exists());
  EXPECT_TRUE(null_value.is_null());
  const Element empty = m.get("OBX[1]-4");
  EXPECT_TRUE(empty.exists());
  EXPECT_TRUE(empty.empty());
  EXPECT_FALSE(empty.is_null());
  EXPECT_FALSE(m.get("OBX[1]-40").exists());
  EXPECT_FALSE(m.get("ZZZ-1").exists());
  EXPECT_FALSE(m.get("PID-5.9").exists());
  EXPECT_FALSE(m.get("not a path").exists());
}

TEST(MessageTest, IteratesRepeatingSegmentsAndGroups) {
  const Message m = parse_ok(kOru);
  EXPECT_EQ(m.all("OBX").size(), 3u);
  constexpr std::array<std::string_view, 3> kMembers = {"OBX", "NTE", "SPM"};
  const auto groups = m.groups("OBR", kMembers);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].head.field(4).component(1).value(), "GLU");
  ASSERT_EQ(groups[0].members.size(), 2u);
  EXPECT_EQ(groups[0].members[1].id(), "NTE");
  EXPECT_EQ(groups[1].all("OBX").size(), 2u);
  ASSERT_TRUE(groups[1].find("SPM"));
  EXPECT_EQ(groups[1].find("SPM")->field(2).value(), "S1");
}

TEST(MessageTest, SegmentIdsReadWithoutMakingSegments) {
  const Message m = parse_ok(kOru);
  ASSERT_GT(m.segment_count(), 3u);
  for (std::size_t n = 1; n <= m.segment_count(); ++n) {
    EXPECT_EQ(m.segment_id(n), m.segment(n).id()) << n;
  }
  const Message bare = parse_ok("MSH|^~\\&|A\rZX1\rPID|1||X");
  EXPECT_EQ(bare.segment_id(2), "ZX1");
  EXPECT_EQ(bare.segment_id(3), "PID");
}

TEST(MessageTest, ASegmentsPartsAreItsTextBetweenFieldSeparators) {
  // Every segment, whatever ends it (CR, CRLF with a blank line after, nothing at the end of the
  // message, an empty last field): part i is the i-th piece of the segment's text split at `|`,
  // viewed in place; past the last, no bytes. The parser's end mark after each segment's parts
  // is what ends the last one.
  for (const std::string_view bytes :
       {kOru, std::string_view("MSH|^~\\&|A||\rPID|1||X^Y||"),
        std::string_view("MSH|^~\\&|A\r\nPID|1||X\r\n   \r\nOBX|1|NM|Z||7\r\n")}) {
    const Message m = parse_ok(bytes);
    for (std::size_t n = 1; n <= m.segment_count(); ++n) {
      const Segment segment = m.segment(n);
      const std::string_view raw = segment.raw();
      std::vector<std::string_view> pieces;
      for (std::size_t begin = 0;;) {
        const std::size_t bar = raw.find('|', begin);
        pieces.push_back(raw.substr(begin, bar == std::string_view::npos ? bar : bar - begin));
        if (bar == std::string_view::npos) {
          break;
        }
        begin = bar + 1;
      }
      const Segment::Parts parts = segment.parts();
      const Segment::Parts indexed = m.segment_parts(n);  // no Segment made
      EXPECT_EQ(m.segment_text(n), raw);
      EXPECT_EQ(m.segment_text(n).data(), raw.data());
      for (std::size_t i = 0; i < pieces.size() + 2; ++i) {
        const std::string_view got = parts.text(i);
        EXPECT_EQ(indexed.text(i), got) << n << " " << i;
        EXPECT_EQ(indexed.text(i).data(), got.data()) << n << " " << i;
        if (i < pieces.size()) {
          EXPECT_EQ(got, pieces[i]) << n << " " << i;
          EXPECT_EQ(got.data(), pieces[i].data()) << n << " " << i;
        } else {
          EXPECT_TRUE(got.empty()) << n << " " << i;
        }
        EXPECT_EQ(segment.part_text(i), got) << n << " " << i;
      }
    }
  }
}

TEST(MessageTest, ToleratesLfCrlfBomAndBlankLines) {
  const std::string lf = "\xEF\xBB\xBFMSH|^~\\&|A\nPID|1||X\n\nOBX|1\n";
  const Message a = parse_ok(lf);
  EXPECT_EQ(a.segment_count(), 3u);
  EXPECT_EQ(a.get("PID-3").value(), "X");
  EXPECT_EQ(a.to_er7(), lf.substr(3)) << "the BOM is not part of the message";
  const std::string crlf = "MSH|^~\\&|A\r\nPID|1||X\r\n   \r\nOBX|1";
  const Message b = parse_ok(crlf);
  EXPECT_EQ(b.segment_count(), 3u);
  EXPECT_EQ(b.segment(2).terminator(), "\r\n   \r\n");
  EXPECT_EQ(b.get("OBX-1").value(), "1");
  EXPECT_EQ(b.to_er7(), crlf);
}

TEST(MessageTest, TakesAnyLegalDelimiters) {
  const std::string odd = "MSH^~|\\&^S^F^R^F^2026^^ADT~A04^CTRL^P^2.3\rPID^1^^ID1~~X\\S\\Y|R2\r";
  const Message m = parse_ok(odd);
  EXPECT_EQ(m.delimiters().field, '^');
  EXPECT_EQ(m.delimiters().component, '~');
  EXPECT_EQ(m.delimiters().repetition, '|');
  EXPECT_EQ(m.get("MSH-9.2").value(), "A04");
  EXPECT_EQ(m.get("PID-3[1].1").value(), "ID1");
  EXPECT_EQ(m.get("PID-3[1].3").value(), "X~Y");
  EXPECT_EQ(m.get("PID-3[2]").value(), "R2");
}

TEST(MessageTest, ReadsTheV27TruncationCharacter) {
  const Message m = parse_ok("MSH|^~\\&#|A\rOBX|1|ST|C||a\\P\\b#\r");
  EXPECT_EQ(m.delimiters().truncation, '#');
  EXPECT_EQ(m.get("MSH-2").raw(), "^~\\&#");
  EXPECT_EQ(m.get("OBX-5").value(), "a#b#");
}

TEST(MessageTest, AcceptsShortEncodingCharacters) {
  const Message m = parse_ok("MSH|^~|A|B\rPID|1||X^Y&Z\r");
  EXPECT_EQ(m.delimiters().escape, '\0');
  EXPECT_EQ(m.delimiters().subcomponent, '\0');
  EXPECT_EQ(m.get("PID-3.2").value(), "Y&Z");
}

struct BadInput {
  std::string bytes;
  Error code;
  std::size_t offset;
};

class MessageRejectTest : public testing::TestWithParam<BadInput> {};

TEST_P(MessageRejectTest, GivesTypedErrorWithPosition) {
  const BadInput& in = GetParam();
  auto m = Message::parse(in.bytes);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().code, in.code) << m.error().message();
  EXPECT_EQ(m.error().offset, in.offset) << m.error().message();
  EXPECT_FALSE(m.error().message().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, MessageRejectTest,
    testing::Values(BadInput{"", Error::empty_input, 0}, BadInput{"\r\n  \r", Error::empty_input, 0},
                    BadInput{"PID|1\r", Error::missing_msh, 0},
                    BadInput{"FHS|^~\\&\r", Error::missing_msh, 0},
                    BadInput{"MSH", Error::bad_delimiters, 3},
                    BadInput{"MSHA^~\\&|", Error::bad_delimiters, 3},
                    BadInput{"MSH||A", Error::bad_delimiters, 4},
                    BadInput{"MSH|^^\\&|A", Error::bad_delimiters, 5},
                    BadInput{"MSH|^~\\&x|A", Error::bad_delimiters, 8},
                    BadInput{"MSH|^~\\&|A\rPID|1\rP D|2\r", Error::bad_segment_id, 17},
                    BadInput{"MSH|^~\\&|A\rPIDX|1\r", Error::bad_segment_id, 11},
                    BadInput{"MSH|^~\\&|A\rpid|1\r", Error::bad_segment_id, 11}));

TEST(MessageTest, EnforcesSizeAndSegmentLimits) {
  ParseOptions options;
  options.max_message_bytes = 20;
  auto big = Message::parse("MSH|^~\\&|A\rPID|1|2|3|4|5|6\r", options);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, Error::too_large);
  options = {};
  options.max_segments = 2;
  auto many = Message::parse("MSH|^~\\&|A\rPID|1\rOBX|1\r", options);
  ASSERT_FALSE(many);
  EXPECT_EQ(many.error().code, Error::too_many_segments);
  EXPECT_EQ(many.error().offset, 17u);
}

TEST(MessageTest, OwnedMessageKeepsItsBytesAcrossMoves) {
  auto m = Message::parse_owned(std::string(kOru));
  ASSERT_TRUE(m);
  Message moved = std::move(*m);
  Message copy = moved;
  EXPECT_EQ(copy.get("PID-5.3").value(), "Thị");
  EXPECT_EQ(moved.to_er7(), kOru);
}

TEST(MessageTest, KeepsTrailingEmptyFields) {
  const std::string text = "MSH|^~\\&|A||\rPID|1||||\r";
  const Message m = parse_ok(text);
  EXPECT_EQ(m.segment(2).field_count(), 5u);
  EXPECT_EQ(m.segment(1).field_count(), 5u);
  EXPECT_EQ(m.to_er7(), text);
}

}  // namespace
}  // namespace hisbridge::hl7

namespace hisbridge::hl7 {
namespace {

TEST(MessageTest, AbsentFieldsStayAbsentAtEveryLevel) {
  // MSH ends at MSH-7: the header's reads of MSH-9 components and beyond find nothing.
  auto m = Message::parse("MSH|^~\\&|A|B|C|D|20200101\rPID|1\r");
  ASSERT_TRUE(m);
  const MessageHeader h = m->header();
  EXPECT_EQ(h.message_code, "");
  EXPECT_EQ(h.version, "");
  EXPECT_FALSE(m->get("PID-5.1.2").exists());
  EXPECT_FALSE(m->get("PID-5[2].1").exists());
  EXPECT_FALSE(m->get("MSH-9.2").exists());
  EXPECT_EQ(m->get("PID-9").component_count(), 0u);
  EXPECT_EQ(m->get("PID-9").subcomponent_count(), 0u);
}

}  // namespace
}  // namespace hisbridge::hl7
