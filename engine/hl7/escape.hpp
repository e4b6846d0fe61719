#pragma once

#include <string>
#include <string_view>

#include "engine/hl7/delimiters.hpp"

namespace hisbridge::hl7 {

// v2.5.1 §2.7: escape sequences in text. Decoding turns \F\ \S\ \T\ \R\ \E\ (and \P\ where
// a truncation character is declared) into the delimiters they stand for, `\.br\` into a
// line feed and `\Xhh..\` into the bytes hh..; any other sequence (\H\, \N\, \Cxxyy\, \Zxx\,
// an unterminated one) is kept verbatim so that nothing the sender wrote is lost.
std::string decode_escapes(std::string_view raw, const Delimiters& d);
void append_decoded(std::string& out, std::string_view raw, const Delimiters& d);

// The inverse for text hisbridge writes: every delimiter character becomes its escape, a
// line feed becomes `\.br\` and a carriage return `\X0D\`, so the text survives a round trip.
std::string encode_escapes(std::string_view text, const Delimiters& d);

}  // namespace hisbridge::hl7
