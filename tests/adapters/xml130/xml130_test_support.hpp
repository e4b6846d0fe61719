#pragma once

// Shared by the xml130 tests: a temporary folder, xml130_cls records built by hand, and a
// reader that takes a written file apart with pugixml, independently of the writer's code.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <utility>
#include <vector>

#include "engine/mapping/record.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/kept_values.hpp"

namespace hisbridge::xml130::testing {

using TempDir = testing_support::TempDir;

inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// The file names in `folder`, sorted.
inline std::vector<std::string> list_folder(const std::filesystem::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The values of one xml130_cls record, every element a column; nullopt is a null Value.
// Defaults are a plausible glucose result, so a test names only what it is about.
struct Cls {
  std::optional<std::string> ma_lk = "LK2026000123";
  std::optional<std::string> ma_dich_vu = "22.0120.1494";
  std::optional<std::string> ma_chi_so = "GLU";
  std::optional<std::string> ten_chi_so = "Định lượng Glucose [Máu]";
  std::optional<std::string> gia_tri = "5.6";
  std::optional<std::string> don_vi_do = "mmol/L";
  std::optional<std::string> mo_ta = "";
  std::optional<std::string> ket_luan = "";
  std::optional<std::string> ngay_kq = "2026-03-05T08:15+07:00";
  std::optional<std::string> ma_bs_doc_kq = "001234/HCM-CCHN";
  std::optional<std::string> du_phong = "";
};

inline const std::vector<std::string>& cls_columns() {
  static const std::vector<std::string> columns{
      "MA_LK", "MA_DICH_VU", "MA_CHI_SO", "TEN_CHI_SO",   "GIA_TRI", "DON_VI_DO",
      "MO_TA", "KET_LUAN",   "NGAY_KQ",   "MA_BS_DOC_KQ", "DU_PHONG"};
  return columns;
}

inline std::shared_ptr<const mapping::RecordShape> make_shape(std::string table,
                                                              std::vector<std::string> columns) {
  auto shape = std::make_shared<mapping::RecordShape>();
  shape->table = std::move(table);
  shape->columns = std::move(columns);
  return shape;
}

inline mapping::Value value_of(const std::optional<std::string>& text) {
  return text ? testing_support::kept_text(*text) : mapping::Value::null();
}

inline mapping::Record make_record(const Cls& c) {
  static const auto shape = make_shape("xml130_cls", cls_columns());
  return {shape,
          {value_of(c.ma_lk), value_of(c.ma_dich_vu), value_of(c.ma_chi_so), value_of(c.ten_chi_so),
           value_of(c.gia_tri), value_of(c.don_vi_do), value_of(c.mo_ta), value_of(c.ket_luan),
           value_of(c.ngay_kq), value_of(c.ma_bs_doc_kq), value_of(c.du_phong)}};
}

// One CHI_TIET_CLS row as read back: element names in file order, and name -> text.
struct ReadRow {
  std::vector<std::string> order;
  std::map<std::string, std::string> values;
  const std::string& operator[](const std::string& name) const { return values.at(name); }
};

// Reads a table-4 file with pugixml; fails the test when the structure is not the expected one.
inline std::vector<ReadRow> read_rows(const std::filesystem::path& path) {
  pugi::xml_document doc;
  const auto parsed = doc.load_file(
      path.c_str(), pugi::parse_default | pugi::parse_ws_pcdata_single, pugi::encoding_utf8);
  EXPECT_TRUE(parsed) << path << ": " << parsed.description();
  const pugi::xml_node list =
      doc.child("CHITIEU_CHITIET_DICHVUCANLAMSANG").child("DSACH_CHI_TIET_CLS");
  EXPECT_TRUE(list) << path;
  std::vector<ReadRow> rows;
  for (const pugi::xml_node item : list.children()) {
    EXPECT_STREQ(item.name(), "CHI_TIET_CLS");
    ReadRow row;
    for (const pugi::xml_node child : item.children()) {
      row.order.emplace_back(child.name());
      row.values[child.name()] = child.text().get();
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// A table-4 file around `rows` (CHI_TIET_CLS elements written by hand).
inline std::string wrap(const std::string& rows) {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<CHITIEU_CHITIET_DICHVUCANLAMSANG>"
         "<DSACH_CHI_TIET_CLS>" +
         rows + "</DSACH_CHI_TIET_CLS></CHITIEU_CHITIET_DICHVUCANLAMSANG>\n";
}

inline const std::vector<std::string>& table4_order() {
  static const std::vector<std::string> order{"MA_LK",      "STT",     "MA_DICH_VU",   "MA_CHI_SO",
                                              "TEN_CHI_SO", "GIA_TRI", "DON_VI_DO",    "MO_TA",
                                              "KET_LUAN",   "NGAY_KQ", "MA_BS_DOC_KQ", "DU_PHONG"};
  return order;
}

}  // namespace hisbridge::xml130::testing
