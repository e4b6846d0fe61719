#include "adapters/xml130/cls_document.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/adapters/xml130/xml130_test_support.hpp"

namespace hisbridge::xml130 {
namespace {

using testing::wrap;

const std::string kEpisode = "LK2026000123";
const std::string kLabel = "out/LK2026000123.xml";

ClsRow row_for(const std::string& index, const std::string& value) {
  ClsRow row;
  row[Element::ma_lk] = kEpisode;
  row[Element::ma_dich_vu] = "22.0120.1494";
  row[Element::ma_chi_so] = index;
  row[Element::gia_tri] = value;
  return row;
}

TEST(ClsDocumentTest, RenderedRowsParseBackEqual) {
  std::vector<ClsRow> rows{row_for("GLU", "5.6"), row_for("URE", "<4.2 & >1")};
  rows[1][Element::mo_ta] = "Dòng 1\nDòng 2\n";
  rows[1][Element::du_phong] = "   ";  // only spaces: still the value
  const std::string bytes = render_cls_file(rows);
  const auto parsed = parse_cls_file(bytes, kEpisode, kLabel);
  ASSERT_TRUE(parsed) << parsed.error().message();
  ASSERT_EQ(parsed->size(), 2U);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ((*parsed)[i].values, rows[i].values) << "row " << i;
  }
  EXPECT_EQ(render_cls_file(*parsed), bytes);
}

TEST(ClsDocumentTest, SttCountsRowsInFileOrder) {
  const std::vector<ClsRow> rows{row_for("A", "1"), row_for("B", "2"), row_for("C", "3")};
  const std::string bytes = render_cls_file(rows);
  std::size_t at = 0;
  for (const char* stt : {"<STT>1</STT>", "<STT>2</STT>", "<STT>3</STT>"}) {
    const std::size_t next = bytes.find(stt, at);
    ASSERT_NE(next, std::string::npos) << stt;
    at = next;
  }
}

TEST(ClsDocumentTest, NoRowsIsAnEmptyList) {
  const std::string bytes = render_cls_file({});
  EXPECT_EQ(bytes,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
            "<CHITIEU_CHITIET_DICHVUCANLAMSANG>\n"
            "  <DSACH_CHI_TIET_CLS></DSACH_CHI_TIET_CLS>\n"
            "</CHITIEU_CHITIET_DICHVUCANLAMSANG>\n");
  const auto parsed = parse_cls_file(bytes, kEpisode, kLabel);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->empty());
}

TEST(ClsDocumentTest, MissingElementsReadAsEmptyAndSttIsIgnored) {
  const auto parsed = parse_cls_file(wrap("<CHI_TIET_CLS><MA_LK>LK2026000123</MA_LK><STT>42</STT>"
                                          "<MA_DICH_VU>22.0120.1494</MA_DICH_VU></CHI_TIET_CLS>"),
                                     kEpisode, kLabel);
  ASSERT_TRUE(parsed) << parsed.error().message();
  ASSERT_EQ(parsed->size(), 1U);
  EXPECT_EQ((*parsed)[0][Element::ma_dich_vu], "22.0120.1494");
  EXPECT_EQ((*parsed)[0][Element::ma_chi_so], "");
  EXPECT_EQ((*parsed)[0][Element::stt], "");
  EXPECT_NE(render_cls_file(*parsed).find("<STT>1</STT>"), std::string::npos);
}

struct CorruptCase {
  const char* name;
  std::string bytes;
  const char* says;
};

class ClsDocumentCorruptTest : public ::testing::TestWithParam<CorruptCase> {};

TEST_P(ClsDocumentCorruptTest, IsCorruptFileNamingTheFile) {
  const auto parsed = parse_cls_file(GetParam().bytes, kEpisode, kLabel);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, Xml130Error::corrupt_file);
  EXPECT_EQ(parsed.error().detail.rfind(kLabel + ": ", 0), 0U) << parsed.error().detail;
  EXPECT_NE(parsed.error().detail.find(GetParam().says), std::string::npos)
      << parsed.error().detail;
}

const std::string kRow =
    "<CHI_TIET_CLS><MA_LK>LK2026000123</MA_LK><STT>1</STT><MA_DICH_VU>22.0120.1494</MA_DICH_VU>"
    "<MA_CHI_SO>URE</MA_CHI_SO><GIA_TRI>4.2</GIA_TRI></CHI_TIET_CLS>";

INSTANTIATE_TEST_SUITE_P(
    Files, ClsDocumentCorruptTest,
    ::testing::Values(
        CorruptCase{"empty", "", "not well-formed XML"},
        CorruptCase{"not_xml", "this is not XML", "not well-formed XML"},
        CorruptCase{"cut_short", wrap(kRow).substr(0, 120), "not well-formed XML"},
        CorruptCase{"other_table",
                    "<CHITIEU_CHITIET_THUOC><DSACH_CHI_TIET_THUOC/></CHITIEU_CHITIET_THUOC>",
                    "root element is CHITIEU_CHITIET_THUOC"},
        CorruptCase{"no_list", "<CHITIEU_CHITIET_DICHVUCANLAMSANG/>", "has no DSACH_CHI_TIET_CLS"},
        CorruptCase{"two_lists",
                    "<CHITIEU_CHITIET_DICHVUCANLAMSANG><DSACH_CHI_TIET_CLS/><DSACH_CHI_TIET_CLS/>"
                    "</CHITIEU_CHITIET_DICHVUCANLAMSANG>",
                    "exactly one DSACH_CHI_TIET_CLS"},
        CorruptCase{"foreign_row", wrap("<CHI_TIET_THUOC/>"), "holds CHI_TIET_THUOC"},
        CorruptCase{"other_episode",
                    wrap("<CHI_TIET_CLS><MA_LK>LK9</MA_LK><MA_DICH_VU>X</MA_DICH_VU>"
                         "</CHI_TIET_CLS>"),
                    "belongs to another episode"},
        CorruptCase{"duplicate_key", wrap(kRow + kRow), "two rows for"},
        CorruptCase{"unknown_element",
                    wrap("<CHI_TIET_CLS><MA_LK>LK2026000123</MA_LK><MA_MAY>M1</MA_MAY>"
                         "</CHI_TIET_CLS>"),
                    "MA_MAY in CHI_TIET_CLS is not in table 4"},
        CorruptCase{"nested_element",
                    wrap("<CHI_TIET_CLS><MA_LK>LK2026000123</MA_LK><MO_TA><p>x</p></MO_TA>"
                         "</CHI_TIET_CLS>"),
                    "MO_TA holds more than text"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace hisbridge::xml130
