#pragma once

#include <string>
#include <string_view>

namespace hisbridge::store {

// Header fields (control id, patient id, ...) are copied out of messages in whatever character
// set the sender used, but they go into text columns, and PostgreSQL refuses a whole statement
// over one byte that is not UTF-8 or a NUL byte. Both stores therefore store such fields
// cleaned, so one odd message never fails the batch it travels in.
//
// Returns `text` itself when it is valid UTF-8 (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF) without NUL bytes; otherwise fills `scratch` with a copy in which each
// offending byte is U+FFFD and returns a view of `scratch`.
std::string_view clean_text(std::string_view text, std::string& scratch);

}  // namespace hisbridge::store
