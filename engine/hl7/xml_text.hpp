#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "engine/hl7/error.hpp"

namespace hisbridge::hl7 {

// Text handling for the v2.xml reader (xml_reader.hpp): references, white space, encodings.

inline bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// What is wrong with a piece of XML text, and where: `at` is a byte offset into it.
struct TextFault {
  enum class Kind { none, malformed, entity };
  Kind kind = Kind::none;
  std::size_t at = 0;
  std::string detail;

  Error code() const {
    return kind == Kind::entity ? Error::xml_doctype_refused : Error::xml_malformed;
  }
};

// Appends `raw` with its references decoded: the five entities XML 1.0 §4.6 predefines and
// the character references of §4.1. Any other entity could only be defined by a DTD, so a
// reference to one is refused (Kind::entity), never kept as text or resolved. A `&` that
// starts no reference, or a character reference to no XML character, is malformed.
TextFault append_unescaped(std::string& out, std::string_view raw);

// One piece of a leaf element's content, in document order.
struct TextPiece {
  enum class Kind { text, cdata, escape };
  Kind kind = Kind::text;
  std::string text;        // text: as written, references not yet decoded; escape: its V
  std::size_t offset = 0;  // where the piece begins in the XML
};

// Pretty-printing is not data: trims XML white space at both ends of a leaf and turns each
// run of white space that holds a line break into one space. Only text pieces are touched;
// CDATA and escapes stay as written.
void normalize_space(std::vector<TextPiece>& pieces);

// Whether pugixml reads a document that declares `encoding` for what it is: UTF-8, UTF-16,
// UTF-32 (told apart by their bytes), ISO-8859-1 (from the declaration) and US-ASCII. Others
// (windows-1258, TCVN) would be read as if they were UTF-8.
bool is_readable_xml_encoding(std::string_view encoding);

}  // namespace hisbridge::hl7
