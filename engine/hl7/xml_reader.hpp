#pragma once

#include <string_view>

#include "engine/hl7/error.hpp"
#include "engine/hl7/message.hpp"

namespace hisbridge::hl7 {

// The namespace of every element of an HL7 v2.xml message (HL7 Version 2: XML Encoding
// Syntax, Release 1).
inline constexpr std::string_view kV2XmlNamespace = "urn:hl7-org:v2xml";

// Reads one HL7 v2.xml message into the same Message model ER7 gives: the message is written
// as ER7 text that the Message owns, so every view (segments, paths, Element) works alike for
// both encodings. `xml` need only live for the call.
//
// What is read:
//   - The root element is the message structure (`ORU_R01`, whatever its name); its children
//     are segments (three upper-case letters or digits: `MSH`, `ZPI`) or groups (a name with a
//     dot: `ORU_R01.PATIENT_RESULT`), which are walked in document order at any depth up to 32.
//     The first segment must be MSH.
//   - A field element `PID.3` repeats for each repetition; its children `CX.1`, `CX.4` are
//     components, whose children `HD.1` are sub-components. A field or component with only
//     text is a primitive value. Positions follow the number after the last dot, not the
//     document order; positions left out are empty; trailing empty positions are dropped, so
//     the ER7 is canonical (no trailing delimiters).
//   - MSH.1 and MSH.2 give the delimiters (`|` and `^~\&` when absent); segments end in CR.
//     A value that needs a separator or escape character MSH.2 leaves out is refused
//     (`bad_delimiters`) rather than written with a character lost.
//   - Leaf text: XML white space is trimmed at both ends and a run of white space holding a
//     line break (pretty-printing) becomes one space; CDATA is kept verbatim. An `<escape
//     V="H"/>` element becomes the ER7 escape sequence `\H\`. Everything else is escaped with
//     `encode_escapes`, so a `|`, `^`, `&`, `~` or `\` in a value is data, never structure.
//   - Attributes (`LongName`, `Type`, ...) are annotations and are ignored.
//   - The text is UTF-8 whatever MSH-18 says: XML declares its own encoding, so the result
//     must not be transcoded again by MSH-18. UTF-8, UTF-16, UTF-32, ISO-8859-1 and US-ASCII
//     are read; any other declared encoding is refused.
//
// Security: a DOCTYPE is refused (`xml_doctype_refused`), even in a document that is malformed
// further on, and so is a reference to any entity but the five XML predefines: DTDs and
// entities are never resolved and nothing is fetched.
//
// Errors: `empty_input`, `xml_malformed` (offset where the XML parser stopped),
// `xml_doctype_refused`,
// `xml_not_v2xml` (wrong or missing namespace, no MSH, an element that is neither a segment, a
// group nor a numbered position), `unknown_charset`, `bad_delimiters`, `too_large` and
// `too_many_segments`. Offsets are bytes into `xml` (into its UTF-8 form when it was in
// another encoding) and point at the element at fault; `segment` and `field` are the ER7
// positions being written when they are known. `max_message_bytes` bounds both the XML and
// the ER7 made from it.
ParseResult<Message> read_v2xml(std::string_view xml, const ParseOptions& options = {});

}  // namespace hisbridge::hl7
