#pragma once

#include <cstddef>
#include <string_view>

namespace hisbridge::hl7 {

// Where the first byte sequence that is not well-formed UTF-8 begins in `text`, or npos when
// all of it is. Well-formed is RFC 3629 §4: no overlong forms, no surrogates (U+D800..U+DFFF),
// nothing above U+10FFFF, no sequence cut short. Runs on every UTF-8 message, so ASCII text
// (most of HL7) is checked sixteen bytes at a time.
std::size_t find_invalid_utf8(std::string_view text) noexcept;

inline bool is_valid_utf8(std::string_view text) noexcept {
  return find_invalid_utf8(text) == std::string_view::npos;
}

}  // namespace hisbridge::hl7
