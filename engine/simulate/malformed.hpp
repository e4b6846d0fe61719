#pragma once

#include <string>
#include <string_view>

#include "engine/simulate/random.hpp"

namespace hisbridge::simulate {

// Ways a real sender's message turns out unreadable, each of which the engine must store as
// rejected and answer with AR (design.md, data flow step 2).
enum class Malformation {
  broken_utf8,          // a name cut in the middle of a character by a fixed-width field
  line_break_in_value,  // a comment typed with Enter, sent without the \.br\ escape
  missing_header,       // MSH lost: the message starts with its second segment
};

std::string_view malformation_name(Malformation kind);
Malformation pick_malformation(Random& random);

// `message` (ER7, CR-terminated segments) spoiled in the way `kind` says.
std::string malform(std::string_view message, Malformation kind);

}  // namespace hisbridge::simulate
