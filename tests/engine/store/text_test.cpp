#include "engine/store/text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hisbridge::store {
namespace {

constexpr std::string_view kFffd = "\xEF\xBF\xBD";

std::string cleaned(std::string_view in) {
  std::string scratch;
  return std::string(clean_text(in, scratch));
}

TEST(CleanTextTest, ValidUtf8IsReturnedAsIsWithoutACopy) {
  for (const std::string_view ok : {std::string_view(""), std::string_view("ORU^R01"),
                                    std::string_view("Nguyễn Văn Đức"),
                                    std::string_view("\xF0\x9F\x98\x80 U+1F600"),
                                    std::string_view("\xF4\x8F\xBF\xBF")}) {  // U+10FFFF
    std::string scratch;
    const std::string_view out = clean_text(ok, scratch);
    EXPECT_EQ(out.data(), ok.data()) << ok;
    EXPECT_EQ(out.size(), ok.size());
    EXPECT_TRUE(scratch.empty());
  }
}

TEST(CleanTextTest, EachOffendingByteBecomesOneReplacementCharacter) {
  EXPECT_EQ(cleaned(std::string_view("a\0b", 3)), "a" + std::string(kFffd) + "b");
  EXPECT_EQ(cleaned("L\xE1" "B"), "L" + std::string(kFffd) + "B");          // Latin-1 byte
  EXPECT_EQ(cleaned("\xC0\xAF"), std::string(kFffd) + std::string(kFffd));  // overlong '/'
  EXPECT_EQ(cleaned("\xED\xA0\x80"),                                       // a surrogate
            std::string(kFffd) + std::string(kFffd) + std::string(kFffd));
  EXPECT_EQ(cleaned("\xF4\x90\x80\x80").size(), 4 * kFffd.size());  // above U+10FFFF
  EXPECT_EQ(cleaned("ab\xE1\xBA"), "ab" + std::string(kFffd) + std::string(kFffd));  // cut short
  EXPECT_EQ(cleaned("\x80x"), std::string(kFffd) + "x");  // stray continuation byte
  EXPECT_EQ(cleaned("ok \xFF then ễ"), "ok " + std::string(kFffd) + " then ễ");
}

}  // namespace
}  // namespace hisbridge::store
