#pragma once

#include <string>
#include <string_view>

#include "engine/hl7/error.hpp"

namespace hisbridge::http {

// Writes an ER7 acknowledgment (what Ingest answers: MSH, MSA, ERR) as an HL7 v2.xml
// document (HL7 Version 2: XML Encoding Syntax, Release 1), for senders that post XML:
//
//   <?xml version="1.0" encoding="UTF-8"?>
//   <ACK xmlns="urn:hl7-org:v2xml">
//     <MSH><MSH.1>|</MSH.1><MSH.2>^~\&amp;</MSH.2><MSH.3><HD.1>HIS</HD.1></MSH.3>...</MSH>
//     <MSA><MSA.1>AA</MSA.1><MSA.2>MSG0001</MSA.2></MSA>
//   </ACK>
//
// Fields are named `SEG.n` and their components by data type, `HD.1`, `CWE.2`, as the v2.5
// XML schemas name them; sub-components of a CE inside VID or ELD likewise (`CE.1`). A field
// of MSH, MSA and ERR that v2.5 does not define, or a segment other than those three, is
// written as text when it has no components and with `varies.n` components when it has.
// Values are written decoded (HL7 escapes undone) and XML-escaped; empty positions are left
// out, repetitions become repeated field elements. Bytes that are not UTF-8, and control
// characters XML 1.0 cannot hold, are written as U+FFFD.
//
// Errors: those of Message::parse, when `er7` is not a message.
hl7::ParseResult<std::string> ack_to_v2xml(std::string_view er7);

}  // namespace hisbridge::http
