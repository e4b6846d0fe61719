#include "adapters/xml130/xml130_writer.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "tests/adapters/xml130/xml130_test_support.hpp"

namespace hisbridge::xml130 {
namespace {

using testing::Cls;
using testing::list_folder;
using testing::make_record;
using testing::make_shape;
using testing::read_bytes;
using testing::read_rows;
using testing::TempDir;
using testing::wrap;
using testing::write_bytes;

const std::string kEpisode = "LK2026000123";
const std::string kKetLuan = "Kết luận: Không thấy bất thường";
const std::string kMoTa =
    "Gan: kích thước bình thường, nhu mô đều.\nTúi mật: không sỏi.\nThận hai bên: bình thường.";

Xml130Writer open_writer(const TempDir& dir, Xml130Options options = {}) {
  auto writer = Xml130Writer::open(dir.path(), options);
  EXPECT_TRUE(writer) << writer.error().message();
  return std::move(*writer);
}

void write_ok(Xml130Writer& writer, const std::vector<mapping::Record>& records) {
  const auto written = writer.write(records);
  ASSERT_TRUE(written) << written.error().message();
}

std::filesystem::path episode_file(const TempDir& dir, const std::string& ma_lk = kEpisode) {
  return dir.path() / (ma_lk + ".xml");
}

Cls ure() {
  return {.ma_chi_so = "URE",
          .ten_chi_so = "Định lượng Urê [Máu]",
          .gia_tri = "4.2",
          .ngay_kq = "2026-03-05T08:20:00+07:00"};
}

Cls ultrasound() {
  return {.ma_dich_vu = "18.0001.0001",
          .ma_chi_so = "",
          .ten_chi_so = "",
          .gia_tri = "",
          .don_vi_do = "",
          .mo_ta = kMoTa,
          .ket_luan = kKetLuan,
          .ngay_kq = "2026-03-05T09:40+07:00",
          .ma_bs_doc_kq = "004321/HCM-CCHN"};
}

TEST(Xml130WriterTest, WritesEveryElementOfEachRowExactly) {
  TempDir dir;
  auto writer = open_writer(dir);
  write_ok(writer, {make_record({}), make_record(ultrasound())});

  const auto rows = read_rows(episode_file(dir));
  ASSERT_EQ(rows.size(), 2U);
  for (const auto& row : rows) {
    EXPECT_EQ(row.order, testing::table4_order());
  }
  const std::map<std::string, std::string> glucose{{"MA_LK", kEpisode},
                                                   {"STT", "1"},
                                                   {"MA_DICH_VU", "22.0120.1494"},
                                                   {"MA_CHI_SO", "GLU"},
                                                   {"TEN_CHI_SO", "Định lượng Glucose [Máu]"},
                                                   {"GIA_TRI", "5.6"},
                                                   {"DON_VI_DO", "mmol/L"},
                                                   {"MO_TA", ""},
                                                   {"KET_LUAN", ""},
                                                   {"NGAY_KQ", "202603050815"},
                                                   {"MA_BS_DOC_KQ", "001234/HCM-CCHN"},
                                                   {"DU_PHONG", ""}};
  EXPECT_EQ(rows[0].values, glucose);
  const std::map<std::string, std::string> report{{"MA_LK", kEpisode},
                                                  {"STT", "2"},
                                                  {"MA_DICH_VU", "18.0001.0001"},
                                                  {"MA_CHI_SO", ""},
                                                  {"TEN_CHI_SO", ""},
                                                  {"GIA_TRI", ""},
                                                  {"DON_VI_DO", ""},
                                                  {"MO_TA", kMoTa},
                                                  {"KET_LUAN", kKetLuan},
                                                  {"NGAY_KQ", "202603050940"},
                                                  {"MA_BS_DOC_KQ", "004321/HCM-CCHN"},
                                                  {"DU_PHONG", ""}};
  EXPECT_EQ(rows[1].values, report);
}

TEST(Xml130WriterTest, FileIsUtf8WithTheTableDeclaration) {
  TempDir dir;
  auto writer = open_writer(dir);
  write_ok(writer, {make_record({})});

  const std::string bytes = read_bytes(episode_file(dir));
  EXPECT_EQ(bytes.substr(0, bytes.find('\n')), R"(<?xml version="1.0" encoding="utf-8"?>)");
  // Vietnamese letters are written as UTF-8 bytes, not as character references.
  EXPECT_NE(bytes.find("Định lượng Glucose [Máu]"), std::string::npos);
  EXPECT_EQ(bytes.find("&#"), std::string::npos);
  EXPECT_EQ(bytes.find('\r'), std::string::npos);
  EXPECT_NE(bytes.find("<MO_TA></MO_TA>"), std::string::npos);
  EXPECT_EQ(bytes.back(), '\n');
  EXPECT_NE(
      bytes.find("\n    <CHI_TIET_CLS>\n      <MA_LK>LK2026000123</MA_LK>\n      <STT>1</STT>\n"),
      std::string::npos);
}

TEST(Xml130WriterTest, OneFilePerEpisode) {
  TempDir dir;
  auto writer = open_writer(dir);
  Cls other;
  other.ma_lk = "LK2026000124";
  other.gia_tri = "7.1";
  write_ok(writer, {make_record({}), make_record(other), make_record(ure())});

  EXPECT_EQ(list_folder(dir.path()),
            (std::vector<std::string>{"LK2026000123.xml", "LK2026000124.xml"}));
  const auto first = read_rows(episode_file(dir));
  ASSERT_EQ(first.size(), 2U);
  EXPECT_EQ(first[0]["MA_CHI_SO"], "GLU");
  EXPECT_EQ(first[1]["MA_CHI_SO"], "URE");
  const auto second = read_rows(episode_file(dir, "LK2026000124"));
  ASSERT_EQ(second.size(), 1U);
  EXPECT_EQ(second[0]["MA_LK"], "LK2026000124");
  EXPECT_EQ(second[0]["GIA_TRI"], "7.1");
  EXPECT_EQ(second[0]["STT"], "1");
}

TEST(Xml130WriterTest, EscapesMarkupAndReadsItBack) {
  TempDir dir;
  auto writer = open_writer(dir);
  Cls c;
  c.gia_tri = "<0.5 & >0.1";
  c.ket_luan = "\"Âm tính\" <b>không</b> & 'ổn định'";
  write_ok(writer, {make_record(c)});

  const std::string bytes = read_bytes(episode_file(dir));
  EXPECT_NE(bytes.find("&lt;0.5 &amp; &gt;0.1"), std::string::npos);
  const auto rows = read_rows(episode_file(dir));
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0]["GIA_TRI"], "<0.5 & >0.1");
  EXPECT_EQ(rows[0]["KET_LUAN"], "\"Âm tính\" <b>không</b> & 'ổn định'");
}

TEST(Xml130WriterTest, MultiLineTextKeepsItsLinesAndCrLfBecomesLf) {
  TempDir dir;
  auto writer = open_writer(dir);
  Cls report = ultrasound();
  report.mo_ta = "Dòng 1\r\nDòng 2\rDòng 3\n\nDòng 5\n";
  report.ket_luan = "  Kết luận: Không thấy bất thường  ";
  write_ok(writer, {make_record(report)});

  const auto rows = read_rows(episode_file(dir));
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0]["MO_TA"], "Dòng 1\nDòng 2\nDòng 3\n\nDòng 5\n");
  EXPECT_EQ(rows[0]["KET_LUAN"], "  Kết luận: Không thấy bất thường  ");
  EXPECT_NE(read_bytes(episode_file(dir)).find("<MO_TA>Dòng 1\nDòng 2\nDòng 3\n\nDòng 5\n</MO_TA>"),
            std::string::npos);
}

TEST(Xml130WriterTest, SecondWriteAppendsNewKeysAfterTheRowsAlreadyThere) {
  TempDir dir;
  auto writer = open_writer(dir);
  write_ok(writer, {make_record({}), make_record(ultrasound())});
  Cls creatinine{.ma_chi_so = "CRE",
                 .ten_chi_so = "Định lượng Creatinin [Máu]",
                 .gia_tri = "88",
                 .don_vi_do = "µmol/L"};
  write_ok(writer, {make_record(ure()), make_record(creatinine)});

  const auto rows = read_rows(episode_file(dir));
  ASSERT_EQ(rows.size(), 4U);
  const std::vector<std::string> keys{"GLU", "", "URE", "CRE"};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i]["STT"], std::to_string(i + 1));
    EXPECT_EQ(rows[i]["MA_CHI_SO"], keys[i]);
  }
  EXPECT_EQ(rows[1]["MO_TA"], kMoTa);
  EXPECT_EQ(rows[3]["DON_VI_DO"], "µmol/L");
}

TEST(Xml130WriterTest, CorrectedResultReplacesItsRowInPlace) {
  TempDir dir;
  auto writer = open_writer(dir);
  write_ok(writer, {make_record({}), make_record(ure())});
  Cls corrected;
  corrected.gia_tri = "6.1";
  corrected.ngay_kq = "2026-03-05T10:02+07:00";
  write_ok(writer, {make_record(corrected)});

  const auto rows = read_rows(episode_file(dir));
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0]["STT"], "1");
  EXPECT_EQ(rows[0]["MA_CHI_SO"], "GLU");
  EXPECT_EQ(rows[0]["GIA_TRI"], "6.1");
  EXPECT_EQ(rows[0]["NGAY_KQ"], "202603051002");
  EXPECT_EQ(rows[1]["MA_CHI_SO"], "URE");
  EXPECT_EQ(rows[1]["GIA_TRI"], "4.2");
}

TEST(Xml130WriterTest, NullKeepsWhatTheRowHeldAndEmptyTextClearsIt) {
  TempDir dir;
  auto writer = open_writer(dir);
  Cls first;
  first.du_phong = "ghi chú cũ";
  first.ket_luan = "Tăng nhẹ";
  write_ok(writer, {make_record(first)});
  Cls correction{.ten_chi_so = std::nullopt,
                 .gia_tri = "5.9",
                 .don_vi_do = std::nullopt,
                 .mo_ta = std::nullopt,
                 .ket_luan = "",
                 .ngay_kq = std::nullopt,
                 .ma_bs_doc_kq = std::nullopt,
                 .du_phong = std::nullopt};
  write_ok(writer, {make_record(correction)});

  const auto rows = read_rows(episode_file(dir));
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0]["GIA_TRI"], "5.9");
  EXPECT_EQ(rows[0]["KET_LUAN"], "");
  EXPECT_EQ(rows[0]["TEN_CHI_SO"], "Định lượng Glucose [Máu]");
  EXPECT_EQ(rows[0]["DON_VI_DO"], "mmol/L");
  EXPECT_EQ(rows[0]["NGAY_KQ"], "202603050815");
  EXPECT_EQ(rows[0]["MA_BS_DOC_KQ"], "001234/HCM-CCHN");
  EXPECT_EQ(rows[0]["DU_PHONG"], "ghi chú cũ");
}

TEST(Xml130WriterTest, SameKeyTwiceInOneWriteLeavesOneRowWithTheLaterValues) {
  TempDir dir;
  auto writer = open_writer(dir);
  Cls later;
  later.gia_tri = "5.8";
  write_ok(writer, {make_record({}), make_record(ure()), make_record(later)});

  const auto rows = read_rows(episode_file(dir));
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0]["MA_CHI_SO"], "GLU");
  EXPECT_EQ(rows[0]["GIA_TRI"], "5.8");
  EXPECT_EQ(rows[1]["MA_CHI_SO"], "URE");
}

TEST(Xml130WriterTest, SameRecordsTwiceGiveAByteIdenticalFileLeftInPlace) {
  TempDir dir;
  auto writer = open_writer(dir);
  const std::vector<mapping::Record> records{make_record({}), make_record(ure()),
                                             make_record(ultrasound())};
  write_ok(writer, records);
  const std::string first = read_bytes(episode_file(dir));
  struct stat before {};
  ASSERT_EQ(::stat(episode_file(dir).c_str(), &before), 0);

  write_ok(writer, records);
  EXPECT_EQ(read_bytes(episode_file(dir)), first);
  struct stat after {};
  ASSERT_EQ(::stat(episode_file(dir).c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);  // nothing to change, so the file was not replaced

  // Another folder, same records: the bytes depend on the records alone.
  TempDir other;
  auto second_writer = open_writer(other);
  write_ok(second_writer, records);
  EXPECT_EQ(read_bytes(episode_file(other)), first);
}

TEST(Xml130WriterTest, ReplayingBatchesInOrderGivesTheSameFile) {
  TempDir dir;
  auto writer = open_writer(dir);
  Cls corrected;
  corrected.gia_tri = "6.1";
  const std::vector<mapping::Record> first{make_record({}), make_record(ure())};
  const std::vector<mapping::Record> second{make_record(corrected)};
  write_ok(writer, first);
  write_ok(writer, second);
  const std::string once = read_bytes(episode_file(dir));
  write_ok(writer, first);
  write_ok(writer, second);
  EXPECT_EQ(read_bytes(episode_file(dir)), once);
}

TEST(Xml130WriterTest, TooLongValueFailsTheWholeWriteAndTouchesNoFile) {
  TempDir dir;
  auto writer = open_writer(dir);
  write_ok(writer, {make_record({})});
  const std::string before = read_bytes(episode_file(dir));

  Cls other_episode;
  other_episode.ma_lk = "LK2026000999";
  Cls too_long = ure();
  too_long.ten_chi_so = std::string(64, 'x');
  for (int i = 0; i < 192; ++i) {
    too_long.ten_chi_so->append("ị");  // 3 bytes, 1 character
  }
  const auto written = writer.write(std::vector{make_record(other_episode), make_record(too_long)});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, Xml130Error::too_long);
  EXPECT_EQ(written.error().error_code(), make_error_code(Xml130Error::too_long));
  const std::string& detail = written.error().detail;
  EXPECT_NE(detail.find("TEN_CHI_SO has 256 characters, the limit is 255"), std::string::npos)
      << detail;
  EXPECT_NE(detail.find("MA_CHI_SO \"URE\""), std::string::npos) << detail;
  EXPECT_EQ(read_bytes(episode_file(dir)), before);
  EXPECT_EQ(list_folder(dir.path()), std::vector<std::string>{"LK2026000123.xml"});
}

TEST(Xml130WriterTest, LimitCountsCharactersNotBytes) {
  TempDir dir;
  auto writer = open_writer(dir);
  Cls c;
  c.ten_chi_so.emplace();
  for (int i = 0; i < 255; ++i) {
    c.ten_chi_so->append("ệ");  // 765 bytes, 255 characters
  }
  c.gia_tri = "Âm tính (không phát hiện kháng nguyên) ở mẫu máu 1";  // 50 characters
  c.don_vi_do = std::nullopt;
  write_ok(writer, {make_record(c)});
  const auto rows = read_rows(episode_file(dir));
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0]["TEN_CHI_SO"], *c.ten_chi_so);
  EXPECT_EQ(rows[0]["GIA_TRI"], *c.gia_tri);
}

struct MissingCase {
  const char* name;
  Cls record;
  const char* element;
};

class Xml130MissingFieldTest : public ::testing::TestWithParam<MissingCase> {};

TEST_P(Xml130MissingFieldTest, IsRejectedNamingTheElement) {
  TempDir dir;
  auto writer = open_writer(dir);
  const auto written = writer.write(std::vector{make_record(GetParam().record)});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, Xml130Error::missing_field) << written.error().message();
  EXPECT_NE(written.error().detail.find(GetParam().element), std::string::npos)
      << written.error().detail;
  EXPECT_TRUE(list_folder(dir.path()).empty());
}

INSTANTIATE_TEST_SUITE_P(
    Required, Xml130MissingFieldTest,
    ::testing::Values(MissingCase{"null_ma_lk", Cls{.ma_lk = std::nullopt}, "MA_LK"},
                      MissingCase{"empty_ma_lk", Cls{.ma_lk = ""}, "MA_LK"},
                      MissingCase{"null_ma_dich_vu", Cls{.ma_dich_vu = std::nullopt}, "MA_DICH_VU"},
                      MissingCase{"empty_ngay_kq", Cls{.ngay_kq = ""}, "NGAY_KQ"},
                      MissingCase{"null_ngay_kq", Cls{.ngay_kq = std::nullopt}, "NGAY_KQ"},
                      MissingCase{"null_reader", Cls{.ma_bs_doc_kq = std::nullopt}, "MA_BS_DOC_KQ"},
                      MissingCase{"value_without_index", Cls{.ma_chi_so = ""}, "MA_CHI_SO"},
                      MissingCase{"value_without_index_name", Cls{.ten_chi_so = ""}, "TEN_CHI_SO"},
                      MissingCase{"no_result", Cls{.gia_tri = "", .don_vi_do = ""},
                                  "holds no result"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

class Xml130BadMaLkTest : public ::testing::TestWithParam<std::string> {};

TEST_P(Xml130BadMaLkTest, IsRejectedAndNoFileIsMade) {
  TempDir dir;
  auto writer = open_writer(dir);
  Cls c;
  c.ma_lk = GetParam();
  const auto written = writer.write(std::vector{make_record({}), make_record(c)});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, Xml130Error::invalid_record) << written.error().message();
  EXPECT_NE(written.error().detail.find("cannot name a file"), std::string::npos)
      << written.error().detail;
  EXPECT_TRUE(list_folder(dir.path()).empty());
  EXPECT_FALSE(std::filesystem::exists(dir.path().parent_path() / "LK2026.xml"));
}

INSTANTIATE_TEST_SUITE_P(Names, Xml130BadMaLkTest,
                         ::testing::Values("LK/2026", "../LK2026", "..", ".hidden", "LK 2026",
                                           "LKđ2026", "LK2026*", "LK:2026", "LK\\2026"));

TEST(Xml130WriterTest, AllowedMaLkCharactersNameTheFileAsTheyAre) {
  TempDir dir;
  auto writer = open_writer(dir);
  Cls c;
  c.ma_lk = "HN.2026-03_0001";
  write_ok(writer, {make_record(c)});
  EXPECT_EQ(list_folder(dir.path()), std::vector<std::string>{"HN.2026-03_0001.xml"});
}

TEST(Xml130WriterTest, TooLongMaLkIsTooLongNotAFileError) {
  TempDir dir;
  auto writer = open_writer(dir);
  Cls c;
  c.ma_lk = std::string(101, 'L');
  const auto written = writer.write(std::vector{make_record(c)});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, Xml130Error::too_long);
  EXPECT_NE(written.error().detail.find("MA_LK has 101 characters, the limit is 100"),
            std::string::npos);
}

TEST(Xml130WriterTest, RecordsOfOtherTablesAreIgnored) {
  TempDir dir;
  auto writer = open_writer(dir);
  const auto result_shape = make_shape("his_result", {"order_no", "test_code", "value"});
  const mapping::Record his_result{result_shape,
                                   {mapping::Value::of_text("ORD1"), mapping::Value::of_text("GLU"),
                                    mapping::Value::of_text("5.6")}};
  write_ok(writer, {his_result});
  EXPECT_TRUE(list_folder(dir.path()).empty());
  write_ok(writer, {his_result, make_record({})});
  EXPECT_EQ(read_rows(episode_file(dir)).size(), 1U);
}

TEST(Xml130WriterTest, ColumnThatIsNoTable4ElementIsRejected) {
  TempDir dir;
  auto writer = open_writer(dir);
  auto columns = testing::cls_columns();
  columns.push_back("KET_QUA");
  auto values = make_record({}).values;
  values.push_back(mapping::Value::of_text("x"));
  const auto written =
      writer.write(std::vector{mapping::Record{make_shape("xml130_cls", columns), values}});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, Xml130Error::invalid_record);
  EXPECT_NE(written.error().detail.find("KET_QUA"), std::string::npos);
}

TEST(Xml130WriterTest, SttGivenByTheMappingIsIgnoredAndColumnsMayComeInAnyOrder) {
  TempDir dir;
  auto writer = open_writer(dir);
  const auto shape = make_shape("xml130_cls", {"STT", "NGAY_KQ", "GIA_TRI", "MA_CHI_SO",
                                               "MA_BS_DOC_KQ", "MA_DICH_VU", "MA_LK"});
  const mapping::Record record{
      shape,
      {mapping::Value{mapping::Value::Type::integer, "99"}, mapping::Value::of_text("2026-03-05T08:15+07:00"),
       mapping::Value{mapping::Value::Type::number, "12.50"}, mapping::Value::of_text("HB"),
       mapping::Value::of_text("001234/HCM-CCHN"), mapping::Value::of_text("22.0121.1369"),
       mapping::Value::of_text(kEpisode)}};
  // A measured value needs its index name: the mapping left TEN_CHI_SO out.
  auto written = writer.write(std::vector{record});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, Xml130Error::missing_field);

  auto with_name = record;
  auto named_shape = std::make_shared<mapping::RecordShape>(*shape);
  named_shape->columns.push_back("TEN_CHI_SO");
  with_name.shape = named_shape;
  with_name.values.push_back(mapping::Value::of_text("Định lượng Hemoglobin"));
  write_ok(writer, {with_name});
  const auto rows = read_rows(episode_file(dir));
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].order, testing::table4_order());
  EXPECT_EQ(rows[0]["STT"], "1");
  EXPECT_EQ(rows[0]["GIA_TRI"], "12.50");
  EXPECT_EQ(rows[0]["DON_VI_DO"], "");
}

TEST(Xml130WriterTest, NgayKqIsWrittenInVietnameseTimeByDefault) {
  TempDir dir;
  auto writer = open_writer(dir);
  Cls c;
  c.ngay_kq = "2026-03-04T23:50:30Z";
  write_ok(writer, {make_record(c)});
  EXPECT_EQ(read_rows(episode_file(dir))[0]["NGAY_KQ"], "202603050650");
}

TEST(Xml130WriterTest, NgayKqKeepsTheWrittenDigitsWhenNoOffsetIsConfigured) {
  TempDir dir;
  auto writer = open_writer(dir, {.ngay_kq_offset_minutes = std::nullopt});
  Cls c;
  c.ngay_kq = "2026-03-04T23:50:30Z";
  write_ok(writer, {make_record(c)});
  EXPECT_EQ(read_rows(episode_file(dir))[0]["NGAY_KQ"], "202603042350");
}

TEST(Xml130WriterTest, BadNgayKqIsRejectedNamingTheValue) {
  TempDir dir;
  auto writer = open_writer(dir);
  Cls c;
  c.ngay_kq = "2026-02-30T08:15+07:00";
  const auto written = writer.write(std::vector{make_record(c)});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, Xml130Error::invalid_record);
  EXPECT_NE(written.error().detail.find("2026-02-30T08:15+07:00"), std::string::npos);
}

TEST(Xml130WriterTest, TextXmlCannotCarryIsRejected) {
  TempDir dir;
  auto writer = open_writer(dir);
  for (const std::string& bad :
       {std::string("5\x01.6"), std::string("\xC3\x28"), std::string("a\xEF\xBF\xBF")}) {
    Cls c;
    c.gia_tri = bad;
    const auto written = writer.write(std::vector{make_record(c)});
    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().code, Xml130Error::invalid_record) << written.error().message();
    EXPECT_NE(written.error().detail.find("GIA_TRI"), std::string::npos);
  }
  Cls spaced;
  spaced.ma_chi_so = "GLU ";
  EXPECT_EQ(writer.write(std::vector{make_record(spaced)}).error().code,
            Xml130Error::invalid_record);
  EXPECT_TRUE(list_folder(dir.path()).empty());
}

TEST(Xml130WriterTest, NoTemporaryFileIsLeftBehind) {
  TempDir dir;
  auto writer = open_writer(dir);
  Cls other;
  other.ma_lk = "LK2";
  write_ok(writer, {make_record({}), make_record(other)});
  Cls corrected;
  corrected.gia_tri = "6.0";
  write_ok(writer, {make_record(corrected)});
  EXPECT_EQ(list_folder(dir.path()), (std::vector<std::string>{"LK2.xml", "LK2026000123.xml"}));
}

TEST(Xml130WriterTest, LeftoverTemporaryFileIsOverwritten) {
  TempDir dir;
  write_bytes(dir.path() / "LK2026000123.xml.tmp", "half a file from a power cut");
  auto writer = open_writer(dir);
  write_ok(writer, {make_record({})});
  EXPECT_EQ(list_folder(dir.path()), std::vector<std::string>{"LK2026000123.xml"});
}

TEST(Xml130WriterTest, CorruptEpisodeFileIsNotMergedIntoAndStaysAsItWas) {
  TempDir dir;
  // Two rows for one key: not a file this writer wrote (cls_document_test has the other cases).
  const std::string row =
      "<CHI_TIET_CLS><MA_LK>LK2026000123</MA_LK><MA_DICH_VU>22.0120.1494</MA_DICH_VU>"
      "<MA_CHI_SO>URE</MA_CHI_SO><GIA_TRI>4.2</GIA_TRI></CHI_TIET_CLS>";
  const std::string bytes = wrap(row + row);
  write_bytes(episode_file(dir), bytes);
  auto writer = open_writer(dir);
  const auto written = writer.write(std::vector{make_record({})});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, Xml130Error::corrupt_file) << written.error().message();
  EXPECT_NE(written.error().detail.find("LK2026000123.xml: two rows for"), std::string::npos)
      << written.error().detail;
  EXPECT_EQ(read_bytes(episode_file(dir)), bytes);
}

TEST(Xml130WriterTest, FileFromElsewhereInTheSameShapeIsMergedAndRewritten) {
  TempDir dir;
  // CDATA and character references, as other exporters write them.
  write_bytes(episode_file(dir),
              wrap("<CHI_TIET_CLS><MA_LK>LK2026000123</MA_LK><STT>7</STT>"
                   "<MA_DICH_VU>22.0120.1494</MA_DICH_VU><MA_CHI_SO>URE</MA_CHI_SO>"
                   "<TEN_CHI_SO><![CDATA[Định lượng Urê [Máu]]]></TEN_CHI_SO>"
                   "<GIA_TRI>4.2</GIA_TRI><DON_VI_DO>mmol/L</DON_VI_DO>"
                   "<NGAY_KQ>202603050820</NGAY_KQ><MA_BS_DOC_KQ>001234/HCM-CCHN</MA_BS_DOC_KQ>"
                   "<KET_LUAN>B&#236;nh th&#432;&#7901;ng</KET_LUAN></CHI_TIET_CLS>"));
  auto writer = open_writer(dir);
  write_ok(writer, {make_record({})});
  const auto rows = read_rows(episode_file(dir));
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0]["STT"], "1");
  EXPECT_EQ(rows[0]["TEN_CHI_SO"], "Định lượng Urê [Máu]");
  EXPECT_EQ(rows[0]["KET_LUAN"], "Bình thường");
  EXPECT_EQ(rows[0]["MO_TA"], "");
  EXPECT_EQ(rows[0].order, testing::table4_order());
  EXPECT_EQ(rows[1]["MA_CHI_SO"], "GLU");
}

TEST(Xml130WriterTest, ExistingRowThatBreaksARuleStopsTheWrite) {
  TempDir dir;
  // Written by hand: the URE row has no MA_BS_DOC_KQ, which this writer never leaves out.
  const std::string bytes = wrap(
      "<CHI_TIET_CLS><MA_LK>LK2026000123</MA_LK><MA_DICH_VU>22.0120.1494</MA_DICH_VU>"
      "<MA_CHI_SO>URE</MA_CHI_SO><TEN_CHI_SO>Urê</TEN_CHI_SO><GIA_TRI>4.2</GIA_TRI>"
      "<NGAY_KQ>202603050820</NGAY_KQ></CHI_TIET_CLS>");
  write_bytes(episode_file(dir), bytes);
  auto writer = open_writer(dir);
  const auto written = writer.write(std::vector{make_record({})});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, Xml130Error::missing_field);
  EXPECT_EQ(read_bytes(episode_file(dir)), bytes);
  // A record that supplies the missing reader for that row repairs it.
  Cls repair = ure();
  write_ok(writer, {make_record(repair)});
  EXPECT_EQ(read_rows(episode_file(dir))[0]["MA_BS_DOC_KQ"], "001234/HCM-CCHN");
}

TEST(Xml130WriterTest, OpenNeedsAnExistingFolderUnlessToldToCreateIt) {
  TempDir dir;
  const auto missing = Xml130Writer::open(dir.path() / "xml4" / "out");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Xml130Error::io);
  write_bytes(dir.path() / "plain-file", "x");
  EXPECT_FALSE(Xml130Writer::open(dir.path() / "plain-file"));

  auto created = Xml130Writer::open(dir.path() / "xml4" / "out", {.create_folder = true});
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() / "xml4" / "out"));
  EXPECT_TRUE(created->write(std::vector{make_record({})}));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "xml4" / "out" / "LK2026000123.xml"));
}

TEST(Xml130WriterTest, UnreadableEpisodeFileIsAnIoErrorNamingIt) {
  TempDir dir;
  // A folder where the episode file should be: open succeeds, read fails (EISDIR), root or not.
  std::filesystem::create_directory(episode_file(dir));
  auto writer = open_writer(dir);
  const auto written = writer.write(std::vector{make_record({})});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, Xml130Error::io);
  EXPECT_NE(written.error().detail.find("LK2026000123.xml"), std::string::npos)
      << written.error().detail;
}

TEST(Xml130WriterTest, RecordWithoutShapeIsInvalid) {
  TempDir dir;
  auto writer = open_writer(dir);
  const auto written = writer.write(std::vector{mapping::Record{}});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, Xml130Error::invalid_record);
}

TEST(Xml130WriterTest, NothingToWriteIsSuccess) {
  TempDir dir;
  auto writer = open_writer(dir);
  EXPECT_TRUE(writer.write({}));
  EXPECT_TRUE(list_folder(dir.path()).empty());
}

TEST(Xml130WriterTest, FailureMessageNamesKindAndDetail) {
  const Xml130Failure failure{Xml130Error::too_long, "GIA_TRI has 51 characters"};
  EXPECT_EQ(failure.message(),
            "value longer than its table-4 element allows: GIA_TRI has 51 characters");
  EXPECT_STREQ(failure.error_code().category().name(), "xml130");
}

}  // namespace
}  // namespace hisbridge::xml130
