#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hisbridge::xml130 {

// The elements of one CHI_TIET_CLS row of table 4 (QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT,
// "chỉ tiêu chi tiết dịch vụ cận lâm sàng"), in the order the table lists them and the file
// must carry them.
enum class Element : std::uint8_t {
  ma_lk,
  stt,
  ma_dich_vu,
  ma_chi_so,
  ten_chi_so,
  gia_tri,
  don_vi_do,
  mo_ta,
  ket_luan,
  ngay_kq,
  ma_bs_doc_kq,
  du_phong,
};
inline constexpr std::size_t kElementCount = 12;

// What table 4 says of an element. `max_chars` counts Unicode code points (a Vietnamese letter
// such as "ị" is one character and three UTF-8 bytes); 0 means the table gives no limit ("n").
// A `code` is one line without white space at either end: it identifies something (an
// episode, a service, a doctor), so " GLU" and "GLU" must never become two different rows.
struct ElementSpec {
  std::string_view name;
  std::size_t max_chars;
  bool required;  // must not be empty in any row written
  bool code;
};

// Lengths from table 4; STT is assigned by the writer (1..n in file order).
inline constexpr std::array<ElementSpec, kElementCount> kElements{{
    {"MA_LK", 100, true, true},
    {"STT", 10, false, true},
    {"MA_DICH_VU", 15, true, true},
    {"MA_CHI_SO", 50, false, true},
    {"TEN_CHI_SO", 255, false, false},
    {"GIA_TRI", 50, false, false},
    {"DON_VI_DO", 50, false, false},
    {"MO_TA", 0, false, false},
    {"KET_LUAN", 0, false, false},
    {"NGAY_KQ", 12, true, true},
    {"MA_BS_DOC_KQ", 255, true, true},
    {"DU_PHONG", 0, false, false},
}};

inline constexpr std::string_view kRootElement = "CHITIEU_CHITIET_DICHVUCANLAMSANG";
inline constexpr std::string_view kListElement = "DSACH_CHI_TIET_CLS";
inline constexpr std::string_view kRowElement = "CHI_TIET_CLS";

constexpr const ElementSpec& spec(Element e) { return kElements[static_cast<std::size_t>(e)]; }
constexpr std::string_view name_of(Element e) { return spec(e).name; }

// The element called `name` (exact, upper case), or nullopt.
std::optional<Element> element_named(std::string_view name);

// One CHI_TIET_CLS row as text, empty where the row has no value. STT is not held: the
// writer numbers rows when it renders a file.
struct ClsRow {
  std::array<std::string, kElementCount> values;

  std::string& operator[](Element e) { return values[static_cast<std::size_t>(e)]; }
  const std::string& operator[](Element e) const { return values[static_cast<std::size_t>(e)]; }
};

// Rows are merged on this key: one row per service (MA_DICH_VU) and index (MA_CHI_SO). An
// imaging report has no index code, so its key is the service with an empty index.
struct RowKey {
  std::string ma_dich_vu;
  std::string ma_chi_so;

  friend bool operator==(const RowKey&, const RowKey&) = default;
  friend auto operator<=>(const RowKey&, const RowKey&) = default;
};
inline RowKey key_of(const ClsRow& row) {
  return {row[Element::ma_dich_vu], row[Element::ma_chi_so]};
}

// `MA_LK "LK01", MA_DICH_VU "22.0120.1494", MA_CHI_SO "GLU"`: which row a message is about.
std::string describe(const ClsRow& row);

}  // namespace hisbridge::xml130
