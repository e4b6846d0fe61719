#include "adapters/xml130/cls_row.hpp"

namespace hisbridge::xml130 {

std::optional<Element> element_named(std::string_view name) {
  for (std::size_t i = 0; i < kElements.size(); ++i) {
    if (kElements[i].name == name) {
      return static_cast<Element>(i);
    }
  }
  return std::nullopt;
}

std::string describe(const ClsRow& row) {
  std::string out;
  for (const Element e : {Element::ma_lk, Element::ma_dich_vu, Element::ma_chi_so}) {
    if (row[e].empty()) {
      continue;
    }
    if (!out.empty()) {
      out += ", ";
    }
    out += name_of(e);
    out += " \"";
    out += row[e];
    out += '"';
  }
  return out.empty() ? std::string("row without MA_LK") : out;
}

}  // namespace hisbridge::xml130
