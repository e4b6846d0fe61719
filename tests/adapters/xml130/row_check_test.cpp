#include "adapters/xml130/row_check.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hisbridge::xml130 {
namespace {

ClsRow valid_row() {
  ClsRow row;
  row[Element::ma_lk] = "LK2026000123";
  row[Element::ma_dich_vu] = "22.0120.1494";
  row[Element::ma_chi_so] = "GLU";
  row[Element::ten_chi_so] = "Định lượng Glucose [Máu]";
  row[Element::gia_tri] = "5.6";
  row[Element::don_vi_do] = "mmol/L";
  row[Element::ngay_kq] = "202603050815";
  row[Element::ma_bs_doc_kq] = "001234/HCM-CCHN";
  return row;
}

// `n` characters of `letter` (a Vietnamese letter is several bytes).
std::string repeat(const std::string& letter, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += letter;
  }
  return out;
}

TEST(RowCheckTest, TheTableLengthsAreTheOnesDocumented) {
  const std::vector<std::pair<std::string_view, std::size_t>> expected{
      {"MA_LK", 100},      {"STT", 10},     {"MA_DICH_VU", 15},    {"MA_CHI_SO", 50},
      {"TEN_CHI_SO", 255}, {"GIA_TRI", 50}, {"DON_VI_DO", 50},     {"MO_TA", 0},
      {"KET_LUAN", 0},     {"NGAY_KQ", 12}, {"MA_BS_DOC_KQ", 255}, {"DU_PHONG", 0}};
  ASSERT_EQ(kElements.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(kElements[i].name, expected[i].first);
    EXPECT_EQ(kElements[i].max_chars, expected[i].second) << expected[i].first;
  }
}

TEST(RowCheckTest, CountsCodePointsNotBytes) {
  EXPECT_EQ(count_chars(""), 0U);
  EXPECT_EQ(count_chars("GLU"), 3U);
  EXPECT_EQ(count_chars("Định lượng"), 10U);
  EXPECT_EQ(std::string("Định lượng").size(), 16U);
  EXPECT_EQ(count_chars("µmol/L"), 6U);
  EXPECT_EQ(count_chars("\xF0\x9F\xA9\xB8"), 1U);  // four bytes, one character
}

TEST(RowCheckTest, ValidRowPasses) { EXPECT_TRUE(check_row(valid_row())); }

// Every limited element accepts exactly its limit and refuses one character more, counted in
// characters: "ệ" is three bytes.
TEST(RowCheckTest, EachLimitIsEnforcedInCharacters) {
  for (std::size_t i = 0; i < kElementCount; ++i) {
    const auto e = static_cast<Element>(i);
    const ElementSpec& s = kElements[i];
    if (s.max_chars == 0 || e == Element::stt || e == Element::ngay_kq) {
      continue;
    }
    const std::string letter = s.code ? "A" : "ệ";
    ClsRow row = valid_row();
    row[e] = repeat(letter, s.max_chars);
    EXPECT_TRUE(check_row(row)) << s.name << ": " << check_row(row).error().message();
    row[e] = repeat(letter, s.max_chars + 1);
    const auto checked = check_row(row);
    ASSERT_FALSE(checked) << s.name;
    EXPECT_EQ(checked.error().code, Xml130Error::too_long);
    EXPECT_NE(checked.error().detail.find(
                  std::string(s.name) + " has " + std::to_string(s.max_chars + 1) +
                  " characters, the limit is " + std::to_string(s.max_chars)),
              std::string::npos)
        << checked.error().detail;
  }
}

TEST(RowCheckTest, ElementsWithoutLimitTakeLongText) {
  ClsRow row = valid_row();
  row[Element::mo_ta] = repeat("Gan nhiễm mỡ độ I. ", 2000);
  row[Element::ket_luan] = repeat("ổ ", 5000);
  row[Element::du_phong] = repeat("x", 100000);
  EXPECT_TRUE(check_row(row));
}

TEST(RowCheckTest, CodesAreOneLineWithoutSurroundingSpaces) {
  for (const Element e :
       {Element::ma_lk, Element::ma_dich_vu, Element::ma_chi_so, Element::ma_bs_doc_kq}) {
    for (const std::string bad : {" X", "X ", "X\nY", "X\tY"}) {
      ClsRow row = valid_row();
      row[e] = bad;
      const auto checked = check_row(row);
      ASSERT_FALSE(checked) << name_of(e) << " '" << bad << "'";
      EXPECT_EQ(checked.error().code, Xml130Error::invalid_record);
    }
  }
  ClsRow row = valid_row();
  row[Element::ma_bs_doc_kq] = "001234/HCM-CCHN;005678/HCM-CCHN";  // several readers
  EXPECT_TRUE(check_row(row));
  row[Element::ten_chi_so] = " Glucose\tmáu\n(lúc đói) ";  // free text may hold these
  EXPECT_TRUE(check_row(row));
}

TEST(RowCheckTest, ControlCharactersAndNonCharactersAreRefused) {
  for (const std::string& bad : {std::string("a\0b", 3), std::string("a\x1F"), std::string("\x0B"),
                                 std::string("\xEF\xBF\xBE"), std::string("x\xEF\xBF\xBFy")}) {
    ClsRow row = valid_row();
    row[Element::mo_ta] = bad;
    const auto checked = check_row(row);
    ASSERT_FALSE(checked);
    EXPECT_EQ(checked.error().code, Xml130Error::invalid_record);
    EXPECT_NE(checked.error().detail.find("MO_TA holds U+"), std::string::npos)
        << checked.error().detail;
  }
  ClsRow row = valid_row();
  row[Element::mo_ta] = "\xEF\xBF\xBD ok";  // U+FFFD is a character like any other
  EXPECT_TRUE(check_row(row));
}

TEST(RowCheckTest, MalformedUtf8IsRefusedWithItsPosition) {
  ClsRow row = valid_row();
  row[Element::ket_luan] = "Bình th\xC6";  // cut in the middle of "ư"
  const auto checked = check_row(row);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, Xml130Error::invalid_record);
  EXPECT_NE(checked.error().detail.find("KET_LUAN is not well-formed UTF-8 (at byte 9)"),
            std::string::npos)
      << checked.error().detail;
}

TEST(RowCheckTest, MessagesNameTheRow) {
  ClsRow row = valid_row();
  row[Element::ma_bs_doc_kq].clear();
  const auto checked = check_row(row);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().detail,
            "MA_LK \"LK2026000123\", MA_DICH_VU \"22.0120.1494\", MA_CHI_SO \"GLU\": "
            "MA_BS_DOC_KQ is required and empty");
}

TEST(RowCheckTest, ImagingRowNeedsNoIndexButSomeResult) {
  ClsRow row = valid_row();
  row[Element::ma_chi_so].clear();
  row[Element::ten_chi_so].clear();
  row[Element::gia_tri].clear();
  row[Element::don_vi_do].clear();
  EXPECT_EQ(check_row(row).error().code, Xml130Error::missing_field);
  row[Element::ket_luan] = "Không thấy bất thường";
  EXPECT_TRUE(check_row(row));
  row[Element::ket_luan].clear();
  row[Element::mo_ta] = "Phổi sáng đều hai bên.";
  EXPECT_TRUE(check_row(row));
  row[Element::don_vi_do] = "mm";  // a unit without the index it measures
  EXPECT_EQ(check_row(row).error().code, Xml130Error::missing_field);
}

}  // namespace
}  // namespace hisbridge::xml130
