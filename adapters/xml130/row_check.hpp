#pragma once

#include <cstddef>
#include <string_view>

#include "adapters/xml130/cls_row.hpp"
#include "adapters/xml130/error.hpp"

namespace hisbridge::xml130 {

// Number of Unicode code points in `text`, which must be well-formed UTF-8: table 4 limits
// are in characters, and "Định lượng" is 10 characters in 16 bytes.
std::size_t count_chars(std::string_view text) noexcept;

// Whether `text` can be the value of element `e`: well-formed UTF-8, only characters XML 1.0
// can carry (no C0 control other than tab and line feed, no U+FFFE/U+FFFF), and for a code
// one line with no white space at either end. The detail names the element, not the row.
Xml130Result<void> check_text(Element e, std::string_view text);

// check_text, then the length limit of `e`: too_long names the element, the length in
// characters and the limit.
Xml130Result<void> check_value(Element e, std::string_view text);

// Every rule a row must meet before it is written: check_text and the length limit of each
// element, the required elements, and the two rules that tie elements together:
// - a measured value (GIA_TRI or DON_VI_DO) needs the index it measures (MA_CHI_SO and
//   TEN_CHI_SO);
// - a row holds a result: GIA_TRI, MO_TA or KET_LUAN is not empty.
// The first broken rule is returned, its detail naming the row (describe()).
Xml130Result<void> check_row(const ClsRow& row);

}  // namespace hisbridge::xml130
