#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/hl7/delimiters.hpp"
#include "engine/hl7/error.hpp"
#include "engine/hl7/message.hpp"
#include "engine/hl7/xml_text.hpp"

namespace hisbridge::hl7 {

// Where `node` begins in the XML: the `<` of an element, the first byte of text; 0 if unknown.
std::size_t xml_offset(pugi::xml_node node);

// Walks the tree of one v2.xml document (what it accepts: read_v2xml in xml_reader.hpp) and
// writes the equivalent ER7 text into one string, element by element, checking each element's
// namespace, name and content on the way. Used once per document by read_v2xml.
class V2xmlTranscoder {
 public:
  explicit V2xmlTranscoder(const ParseOptions& options)
      : options_(options), limit_(std::min<std::size_t>(options.max_message_bytes, UINT32_MAX)) {}

  // Writes the message under `root`; the error says what is wrong and where in the XML.
  std::optional<ParseError> write_message(pugi::xml_node root);
  // The ER7 written, CR after every segment. Leaves the transcoder empty.
  std::string take() { return std::move(out_); }
  // Where the element of each written segment begins in the XML, by segment number - 1.
  const std::vector<std::size_t>& segment_offsets() const { return segment_offsets_; }

 private:
  using Numbered = std::vector<std::pair<std::size_t, pugi::xml_node>>;

  std::optional<ParseError> check_element(pugi::xml_node node) const;
  std::optional<ParseError> check_no_text(pugi::xml_node text, std::string_view where) const;
  std::optional<ParseError> write_children(pugi::xml_node parent, std::size_t depth);
  std::optional<ParseError> write_segment(pugi::xml_node node, std::string_view id);
  std::optional<ParseError> write_delimiters(const Numbered& fields);
  std::optional<ParseError> write_fields(const Numbered& fields, std::size_t skip);
  std::optional<ParseError> write_value(pugi::xml_node node, int level);
  std::optional<ParseError> write_leaf(pugi::xml_node node);
  bool needs_escape(const TextPiece& piece) const;
  std::optional<ParseError> numbered_children(pugi::xml_node node, Numbered& out) const;
  std::optional<ParseError> leaf_pieces(pugi::xml_node node, std::vector<TextPiece>& out) const;
  std::optional<ParseError> pad(char delimiter, std::size_t count, pugi::xml_node at);
  void trim(char delimiter, std::size_t floor);
  ParseError error(Error code, std::size_t offset, std::string detail) const;
  ParseError error(Error code, pugi::xml_node at, std::string detail) const {
    return error(code, xml_offset(at), std::move(detail));
  }

  const ParseOptions& options_;
  std::size_t limit_;
  Delimiters d_;
  std::string out_;
  std::vector<std::size_t> segment_offsets_;
  bool in_segment_ = false;
  std::size_t field_ = 0;
};

}  // namespace hisbridge::hl7
