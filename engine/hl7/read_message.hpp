#pragma once

#include <string_view>

#include "engine/hl7/error.hpp"
#include "engine/hl7/message.hpp"

namespace hisbridge::hl7 {

// Reads one received message whatever its encoding: HL7 v2.xml when the bytes start with '<'
// (after white space and a BOM), ER7 otherwise, transcoding to UTF-8 as MSH-18 or
// `charset_override` says. Ingest and the router read the same bytes the same way.
ParseResult<Message> read_message(std::string_view raw, std::string_view charset_override);

// True when the bytes are XML rather than ER7.
bool looks_like_xml(std::string_view raw);

}  // namespace hisbridge::hl7
