#include "engine/hl7/xml_reader.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "engine/hl7/v2xml_transcoder.hpp"
#include "engine/hl7/xml_text.hpp"

namespace hisbridge::hl7 {
namespace {

// No parse_escapes: references are decoded by `append_unescaped`, which refuses the ones a DTD
// would have to define. parse_doctype makes a DOCTYPE visible so that it can be refused.
constexpr unsigned kParseFlags = pugi::parse_cdata | pugi::parse_eol | pugi::parse_declaration |
                                 pugi::parse_doctype | pugi::parse_ws_pcdata;

ParseError make_error(Error code, std::size_t offset, std::string detail) {
  ParseError e;
  e.code = code;
  e.offset = offset;
  e.detail = std::move(detail);
  return e;
}

bool is_blank_input(std::string_view xml) {
  if (xml.starts_with("\xEF\xBB\xBF")) {
    xml.remove_prefix(3);
  }
  return std::all_of(xml.begin(), xml.end(), [](char c) { return is_xml_space(c); });
}

// Refuses a DOCTYPE, and an encoding pugixml would read as something it is not.
std::optional<ParseError> check_prolog(const pugi::xml_document& doc) {
  for (pugi::xml_node node : doc.children()) {
    if (node.type() == pugi::node_doctype) {
      return make_error(Error::xml_doctype_refused, xml_offset(node),
                        "a DOCTYPE is never read: DTDs and entities are refused");
    }
    if (node.type() == pugi::node_declaration) {
      const std::string_view encoding = node.attribute("encoding").value();
      if (!encoding.empty() && !is_readable_xml_encoding(encoding)) {
        return make_error(Error::unknown_charset, xml_offset(node),
                          "XML encoding '" + std::string(encoding) +
                              "' is not read; send UTF-8, UTF-16 or ISO-8859-1");
      }
    }
  }
  return std::nullopt;
}

ParseResult<Message> read(std::string_view xml, const ParseOptions& options) {
  const std::size_t limit = std::min<std::size_t>(options.max_message_bytes, UINT32_MAX);
  if (xml.size() > limit) {
    return make_error(Error::too_large, limit,
                      std::to_string(xml.size()) + " bytes, limit " + std::to_string(limit));
  }
  if (is_blank_input(xml)) {
    return make_error(Error::empty_input, 0, "no XML");
  }
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed =
      doc.load_buffer(xml.data(), xml.size(), kParseFlags, pugi::encoding_auto);
  if (parsed.status == pugi::status_bad_doctype) {
    return make_error(Error::xml_doctype_refused, static_cast<std::size_t>(parsed.offset),
                      "a DOCTYPE is never read: DTDs and entities are refused");
  }
  // pugixml keeps what it read before an error, so a DOCTYPE is refused as such even in a
  // document that breaks off later.
  if (auto e = check_prolog(doc)) {
    return *e;
  }
  if (!parsed) {
    return make_error(Error::xml_malformed, static_cast<std::size_t>(parsed.offset),
                      parsed.description());
  }
  V2xmlTranscoder writer(options);
  if (auto e = writer.write_message(doc.document_element())) {
    return *e;
  }
  const std::vector<std::size_t> offsets = writer.segment_offsets();
  auto message = Message::parse_owned(writer.take(), options);
  if (!message) {
    // Offsets in the ER7 mean nothing to whoever holds the XML: point at the segment.
    ParseError e = message.error();
    e.offset = e.segment >= 1 && e.segment <= offsets.size() ? offsets[e.segment - 1] : 0;
    return e;
  }
  return message;
}

}  // namespace

ParseResult<Message> read_v2xml(std::string_view xml, const ParseOptions& options) {
  auto message = read(xml, options);
  if (!message && message.error().offset > xml.size()) {
    // Offsets in UTF-8 converted from UTF-16 can run past the input; keep them inside it.
    ParseError e = message.error();
    e.offset = xml.size();
    return e;
  }
  return message;
}

}  // namespace hisbridge::hl7
