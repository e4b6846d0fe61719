#include "engine/mapping/lookup_table.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace hisbridge::mapping {
namespace {

// lis-services.csv as a spreadsheet saves it: BOM, CRLF, quotes where a name has a comma.
constexpr std::string_view kServices =
    "\xEF\xBB\xBFlis_code,his_code,his_name\r\n"
    "# Sinh hoá máu\r\n"
    "GLU,XN0001,Định lượng Glucose [Máu]\r\n"
    "HBA1C,XN0002,\"HbA1c, \"\"máu toàn phần\"\"\"\r\n"
    "\r\n"
    "CRP,XN0003,\"Định lượng CRP\r\n(hs-CRP)\"\r\n"
    ",,\r\n";

LookupTable parse_ok(std::string_view text) {
  auto table = LookupTable::parse(text, "tables/test.csv");
  EXPECT_TRUE(table) << (table ? "" : table.error().to_string());
  return table ? std::move(*table) : *LookupTable::parse("key\n", "empty.csv");
}

LookupTableError parse_error(std::string_view text) {
  auto table = LookupTable::parse(text, "tables/test.csv");
  EXPECT_FALSE(table);
  return table ? LookupTableError{} : table.error();
}

TEST(LookupTableTest, ReadsASpreadsheetExportWithVietnameseText) {
  const LookupTable table = parse_ok(kServices);
  ASSERT_EQ(table.size(), 3u);
  EXPECT_EQ(table.columns(), (std::vector<std::string>{"lis_code", "his_code", "his_name"}));
  EXPECT_TRUE(table.has_column("his_name"));
  EXPECT_FALSE(table.has_column("HIS_NAME"));
  ASSERT_NE(table.find("GLU", "his_name"), nullptr);
  EXPECT_EQ(*table.find("GLU", "his_name"), "Định lượng Glucose [Máu]");
  EXPECT_EQ(*table.find("GLU", "his_code"), "XN0001");
  EXPECT_EQ(*table.find("HBA1C", "his_name"), "HbA1c, \"máu toàn phần\"");
  EXPECT_EQ(*table.find("CRP", "his_name"), "Định lượng CRP\n(hs-CRP)");
  EXPECT_EQ(*table.find("CRP", "lis_code"), "CRP");
  EXPECT_EQ(table.cell(2, 1), "XN0003");
}

TEST(LookupTableTest, KeysMatchExactly) {
  const LookupTable table = parse_ok(kServices);
  EXPECT_EQ(table.find("glu", "his_code"), nullptr);
  EXPECT_EQ(table.find("GLU ", "his_code"), nullptr);
  EXPECT_EQ(table.find("", "his_code"), nullptr);
  EXPECT_EQ(table.find("GLU", "missing"), nullptr);
  EXPECT_EQ(table.find("GLU", std::size_t{3}), nullptr);
  const auto column = table.column_index("his_code");
  ASSERT_TRUE(column);
  EXPECT_EQ(*column, 1u);
  EXPECT_EQ(*table.find("HBA1C", *column), "XN0002");
}

TEST(LookupTableTest, NamesAreKeysToo) {
  const LookupTable table = parse_ok(
      "full_name,patient_id\n"
      "Nguyễn Thị Hoa,BN001\n"
      "Nguyen Thi Hoa,BN002\n"
      "\"# not a comment\",BN003\n"
      "  \t\n"
      "\"a,b\",\"\"\n");
  EXPECT_EQ(*table.find("Nguyễn Thị Hoa", "patient_id"), "BN001");
  EXPECT_EQ(*table.find("Nguyen Thi Hoa", "patient_id"), "BN002");
  EXPECT_EQ(*table.find("# not a comment", "patient_id"), "BN003");
  EXPECT_EQ(*table.find("a,b", "patient_id"), "");
  EXPECT_EQ(table.size(), 4u);
}

TEST(LookupTableTest, FieldsAreTakenAsWritten) {
  const LookupTable table = parse_ok("k,v\r a , b \rq,x\"y\nlast,\"\"\"\"");
  EXPECT_EQ(*table.find(" a ", "v"), " b ");  // lone CR ends a line too
  EXPECT_EQ(*table.find("q", "v"), "x\"y");
  EXPECT_EQ(*table.find("last", "v"), "\"");  // no line end after the last record
}

TEST(LookupTableTest, UnbalancedQuoteNamesWhereItOpened) {
  const LookupTableError e = parse_error("code,name\nGLU,\"Định lượng\nGlucose\n");
  EXPECT_EQ(e.file, "tables/test.csv");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.column, 5u);
  EXPECT_NE(e.message.find("never closed"), std::string::npos);
  EXPECT_EQ(e.to_string(), "tables/test.csv:2:5: quote opened here is never closed");
}

TEST(LookupTableTest, TextAfterAClosingQuoteIsAnError) {
  const LookupTableError e = parse_error("code,name\nGLU,\"Máu\"x\n");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.column, 10u);
  EXPECT_NE(e.message.find("closing quote"), std::string::npos);
}

TEST(LookupTableTest, RowWithTheWrongNumberOfFieldsSaysWhichAndHowMany) {
  const LookupTableError e = parse_error("# header\ncode,name\nGLU,Glucose\n\"A\nB\",x,y\n");
  EXPECT_EQ(e.line, 4u);
  EXPECT_EQ(e.column, 1u);
  EXPECT_EQ(e.message, "line 4 has 3 fields, the header has 2");
  EXPECT_EQ(parse_error("code,name\nGLU\n").message, "line 2 has 1 field, the header has 2");
}

TEST(LookupTableTest, HeaderErrors) {
  const LookupTableError duplicate = parse_error("code,tên,tên\n");
  EXPECT_EQ(duplicate.line, 1u);
  EXPECT_EQ(duplicate.column, 10u);
  EXPECT_NE(duplicate.message.find("\"tên\" appears twice"), std::string::npos);
  EXPECT_NE(duplicate.message.find("columns 2 and 3"), std::string::npos);
  EXPECT_NE(parse_error("code,,name\n").message.find("column 2 of the header has no name"),
            std::string::npos);
  for (std::string_view empty : {"", "\xEF\xBB\xBF", "# comment only\n\n", "\r\n\r\n"}) {
    const LookupTableError e = parse_error(empty);
    EXPECT_NE(e.message.find("no header row"), std::string::npos);
    EXPECT_GE(e.line, 1u);
  }
}

TEST(LookupTableTest, RepeatedKeyNamesBothLines) {
  const LookupTableError e = parse_error("code,name\nGLU,a\nURE,b\n# again\nGLU,c\n");
  EXPECT_EQ(e.line, 5u);
  EXPECT_EQ(e.message, "key \"GLU\" is already on line 2");
  EXPECT_EQ(parse_error("code,name\n,x\n").message, "the key (first column) is empty");
}

TEST(LookupTableTest, InvalidUtf8IsPlacedInCharacters) {
  const LookupTableError e = parse_error("code,name\nBN1,Nguyễn \xFF\n");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.column, 12u);
  EXPECT_NE(e.message.find("UTF-8"), std::string::npos);
  EXPECT_EQ(parse_error("code,name\nA,\xC3\x28\n").column, 3u);  // Latin-1 é cut short
}

TEST(LookupTableTest, LoadsAFile) {
  const testing_support::TempDir temp("hisbridge-lookup-table");
  const std::filesystem::path& dir = temp.path();
  const auto path = dir / "lis-services.csv";
  std::ofstream(path, std::ios::binary) << kServices;
  auto table = LookupTable::load(path);
  ASSERT_TRUE(table) << table.error().to_string();
  EXPECT_EQ(*table->find("GLU", "his_code"), "XN0001");

  std::ofstream(path, std::ios::binary) << "code,name\nA,1\nA,2\n";
  auto duplicate = LookupTable::load(path);
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().file, path.string());
  EXPECT_EQ(duplicate.error().line, 3u);

  auto missing = LookupTable::load(dir / "missing.csv");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().line, 0u);
  EXPECT_NE(missing.error().to_string().find("missing.csv: cannot open"), std::string::npos);
}

TEST(LookupTableTest, ManyRowsAreAllFound) {
  std::string text = "code,value\n";
  for (int i = 0; i < 20000; ++i) {
    text += "K" + std::to_string(i) + ",V" + std::to_string(i * 7) + "\n";
  }
  const LookupTable table = parse_ok(text);
  ASSERT_EQ(table.size(), 20000u);
  const std::size_t value = *table.column_index("value");
  for (int i = 0; i < 20000; i += 97) {
    const std::string* found = table.find("K" + std::to_string(i), value);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(*found, "V" + std::to_string(i * 7));
  }
  EXPECT_EQ(table.find("K20000", value), nullptr);
}

}  // namespace
}  // namespace hisbridge::mapping
