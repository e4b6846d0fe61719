#include "engine/hl7/escape.hpp"

#include <gtest/gtest.h>

namespace hisbridge::hl7 {
namespace {

TEST(EscapeTest, DecodesDelimiterEscapes) {
  const Delimiters d;
  EXPECT_EQ(decode_escapes("a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f", d), "a|b^c&d~e\\f");
  EXPECT_EQ(decode_escapes("line1\\.br\\line2", d), "line1\nline2");
  EXPECT_EQ(decode_escapes("\\X48454C4C4F\\", d), "HELLO");
  EXPECT_EQ(decode_escapes("\\XC3A1\\", d), "á");
}

TEST(EscapeTest, KeepsUnknownAndBrokenSequencesVerbatim) {
  const Delimiters d;
  EXPECT_EQ(decode_escapes("\\H\\bold\\N\\", d), "\\H\\bold\\N\\");
  EXPECT_EQ(decode_escapes("\\X4\\", d), "\\X4\\");
  EXPECT_EQ(decode_escapes("\\XZZ\\", d), "\\XZZ\\");
  EXPECT_EQ(decode_escapes("tail\\F", d), "tail\\F");
  EXPECT_EQ(decode_escapes("\\Cxxyy\\", d), "\\Cxxyy\\");
  EXPECT_EQ(decode_escapes("\\P\\", d), "\\P\\") << "no truncation character declared";
}

TEST(EscapeTest, UsesTheMessagesOwnDelimiters) {
  Delimiters d;
  d.escape = '!';
  d.field = '#';
  EXPECT_EQ(decode_escapes("a!F!b", d), "a#b");
  EXPECT_EQ(encode_escapes("a#b!c", d), "a!F!b!E!c");
}

TEST(EscapeTest, EncodeThenDecodeGivesTheTextBack) {
  const Delimiters d{'|', '^', '~', '\\', '&', '#'};
  const std::string text = "x|y^z&w~v\\u#t\nline\r\nNguyễn";
  const std::string encoded = encode_escapes(text, d);
  EXPECT_EQ(encoded.find_first_of("|^&~#\r\n"), std::string::npos);
  EXPECT_EQ(decode_escapes(encoded, d), text);
}

}  // namespace
}  // namespace hisbridge::hl7

namespace hisbridge::hl7 {
namespace {

TEST(EscapeTest, UndeclaredDelimiterEscapesStayVerbatim) {
  Delimiters d;
  d.escape = '}';
  d.subcomponent = '\0';
  EXPECT_EQ(decode_escapes("X}T}Y", d), "X}T}Y");
  EXPECT_EQ(decode_escapes("X}S}Y", d), "X^Y");
}

}  // namespace
}  // namespace hisbridge::hl7
