#include "engine/hl7/v2xml_transcoder.hpp"

#include <array>

#include "engine/hl7/escape.hpp"
#include "engine/hl7/xml_reader.hpp"

namespace hisbridge::hl7 {
namespace {

constexpr std::size_t kMaxGroupDepth = 32;
// No segment or data type comes near this many positions; the cap (with the size check in
// `pad`) keeps `<PID.99999999>` from turning a few bytes of XML into a flood of delimiters.
constexpr std::size_t kMaxPosition = 9999;

constexpr std::string_view kDefaultEncodingCharacters = "^~\\&";

bool is_text(pugi::xml_node node) {
  return node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata;
}

std::string_view local_name(pugi::xml_node node) {
  const std::string_view name = node.name();
  const std::size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// Namespaces in XML 1.0 §6: the nearest declaration of the element's prefix (or of the
// default namespace) on the element or an ancestor.
std::string_view namespace_of(pugi::xml_node node) {
  const std::string_view name = node.name();
  const std::size_t colon = name.find(':');
  const std::string attribute =
      colon == std::string_view::npos ? "xmlns" : "xmlns:" + std::string(name.substr(0, colon));
  for (pugi::xml_node n = node; n.type() == pugi::node_element; n = n.parent()) {
    if (pugi::xml_attribute a = n.attribute(attribute.c_str())) {
      return a.value();
    }
  }
  return {};
}

bool is_segment_id(std::string_view name) {
  return name.size() == 3 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
         });
}

// `PID.3` → 3, `CX.4` → 4: the number after the last dot.
std::optional<std::size_t> position_of(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == name.size() ||
      name.size() - dot - 1 > 4) {
    return std::nullopt;
  }
  std::size_t n = 0;
  for (char c : name.substr(dot + 1)) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  if (n == 0 || n > kMaxPosition) {
    return std::nullopt;
  }
  return n;
}

bool is_delimiter_candidate(char c) {
  const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  return !alnum && !is_xml_space(c) && c != '\0';
}

// A leaf holds text and `escape` elements only.
bool is_leaf(pugi::xml_node node) {
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_element && local_name(child) != "escape") {
      return false;
    }
  }
  return true;
}

}  // namespace

std::size_t xml_offset(pugi::xml_node node) {
  const std::ptrdiff_t at = node.offset_debug();
  if (at <= 0) {
    return 0;
  }
  // pugixml gives an element's name; the `<` before it is what an operator looks for.
  return static_cast<std::size_t>(node.type() == pugi::node_element ? at - 1 : at);
}

ParseError V2xmlTranscoder::error(Error code, std::size_t offset, std::string detail) const {
  ParseError e;
  e.code = code;
  e.offset = offset;
  e.detail = std::move(detail);
  if (in_segment_) {
    e.segment = segment_offsets_.size();
    e.field = field_;
  }
  return e;
}

std::optional<ParseError> V2xmlTranscoder::check_element(pugi::xml_node node) const {
  const std::string_view ns = namespace_of(node);
  if (ns != kV2XmlNamespace) {
    return error(
        Error::xml_not_v2xml, node,
        "element '" + std::string(node.name()) + "' is in " +
            (ns.empty() ? std::string("no namespace") : "namespace '" + std::string(ns) + "'") +
            ", not " + std::string(kV2XmlNamespace));
  }
  // Attributes are never read as data, but an entity in one is refused all the same.
  for (pugi::xml_attribute a : node.attributes()) {
    std::string ignored;
    const TextFault fault = append_unescaped(ignored, a.value());
    if (fault.kind != TextFault::Kind::none) {
      return error(fault.code(), node, fault.detail + " in attribute '" + a.name() + "'");
    }
  }
  return std::nullopt;
}

// Text beside elements is indentation; anything else there has no place in the ER7.
std::optional<ParseError> V2xmlTranscoder::check_no_text(pugi::xml_node text,
                                                         std::string_view where) const {
  std::string value;
  const TextFault fault = append_unescaped(value, text.value());
  if (fault.kind != TextFault::Kind::none) {
    return error(fault.code(), xml_offset(text) + fault.at, fault.detail);
  }
  if (text.type() == pugi::node_cdata ||
      !std::all_of(value.begin(), value.end(), [](char c) { return is_xml_space(c); })) {
    return error(Error::xml_not_v2xml, text,
                 "text '" + value.substr(0, 20) + "' " + std::string(where));
  }
  return std::nullopt;
}

std::optional<ParseError> V2xmlTranscoder::write_message(pugi::xml_node root) {
  if (auto e = check_element(root)) {
    return e;
  }
  out_.reserve(256);
  if (auto e = write_children(root, 0)) {
    return e;
  }
  if (segment_offsets_.empty()) {
    return error(Error::xml_not_v2xml, root,
                 "'" + std::string(root.name()) + "' holds no MSH segment");
  }
  return std::nullopt;
}

// The children of the root or of a group: segments, and groups to walk into.
std::optional<ParseError> V2xmlTranscoder::write_children(pugi::xml_node parent,
                                                          std::size_t depth) {
  for (pugi::xml_node child : parent.children()) {
    if (is_text(child)) {
      if (auto e = check_no_text(child, "stands outside any segment")) {
        return e;
      }
      continue;
    }
    if (child.type() != pugi::node_element) {
      continue;
    }
    if (auto e = check_element(child)) {
      return e;
    }
    const std::string_view name = local_name(child);
    if (is_segment_id(name)) {
      if (auto e = write_segment(child, name)) {
        return e;
      }
    } else if (name.find('.') != std::string_view::npos) {
      if (depth >= kMaxGroupDepth) {
        return error(Error::xml_not_v2xml, child,
                     "groups nest deeper than " + std::to_string(kMaxGroupDepth));
      }
      if (auto e = write_children(child, depth + 1)) {
        return e;
      }
    } else {
      return error(Error::xml_not_v2xml, child,
                   "'" + std::string(name) +
                       "' is neither a segment (three upper-case letters or digits) nor a group");
    }
  }
  return std::nullopt;
}

std::optional<ParseError> V2xmlTranscoder::write_segment(pugi::xml_node node, std::string_view id) {
  if (segment_offsets_.size() >= options_.max_segments) {
    return error(Error::too_many_segments, node,
                 "limit " + std::to_string(options_.max_segments) + " segments");
  }
  const bool msh = id == "MSH";
  if (segment_offsets_.empty() != msh) {
    return error(Error::xml_not_v2xml, node,
                 msh ? "a second MSH: one message per document"
                     : "the first segment is '" + std::string(id) + "', not MSH");
  }
  segment_offsets_.push_back(xml_offset(node));
  in_segment_ = true;
  field_ = 0;
  Numbered fields;
  if (auto e = numbered_children(node, fields)) {
    return e;
  }
  out_ += id;
  if (msh) {
    if (auto e = write_delimiters(fields)) {
      return e;
    }
  }
  if (auto e = write_fields(fields, msh ? 2 : 0)) {
    return e;
  }
  out_ += '\r';
  field_ = 0;
  in_segment_ = false;
  return std::nullopt;
}

// The fields after `skip` (2 in MSH, whose first two fields are the delimiters), each after
// its field separator; the repetitions of one field are its elements in document order.
std::optional<ParseError> V2xmlTranscoder::write_fields(const Numbered& fields, std::size_t skip) {
  const std::size_t floor = out_.size();
  std::size_t field_begin = floor;
  std::size_t written = skip;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto [number, element] = fields[i];
    if (number <= skip) {
      continue;
    }
    field_ = number;
    const bool repetition = number == written;
    if (auto e = pad(repetition ? d_.repetition : d_.field, repetition ? 1 : number - written,
                     element)) {
      return e;
    }
    if (!repetition) {
      field_begin = out_.size();
    }
    written = number;
    if (auto e = write_value(element, 0)) {
      return e;
    }
    if (i + 1 == fields.size() || fields[i + 1].first != number) {
      trim(d_.repetition, field_begin);
    }
  }
  trim(d_.field, floor);
  return std::nullopt;
}

// MSH.1 and MSH.2 are the delimiters themselves, written as they are (v2.5.1 §2.5.4).
std::optional<ParseError> V2xmlTranscoder::write_delimiters(const Numbered& fields) {
  std::array<std::optional<std::string>, 2> values;
  std::array<pugi::xml_node, 2> elements;
  for (const auto& [number, element] : fields) {
    if (number > 2) {
      break;
    }
    field_ = number;
    auto& value = values[number - 1];
    if (value) {
      return error(Error::bad_delimiters, element,
                   "MSH." + std::to_string(number) + " given twice");
    }
    if (!is_leaf(element)) {
      return error(Error::bad_delimiters, element,
                   "MSH." + std::to_string(number) + " must be text");
    }
    std::vector<TextPiece> pieces;
    if (auto e = leaf_pieces(element, pieces)) {
      return e;
    }
    value.emplace();
    elements[number - 1] = element;
    for (const TextPiece& p : pieces) {
      if (p.kind == TextPiece::Kind::escape) {
        return error(Error::bad_delimiters, element, "an escape element in a delimiter field");
      }
      *value += p.text;
    }
  }
  const std::string fs = values[0].value_or("|");
  const std::string chars = values[1].value_or(std::string(kDefaultEncodingCharacters));
  if (fs.size() != 1 || !is_delimiter_candidate(fs[0])) {
    return error(Error::bad_delimiters, elements[0],
                 "MSH.1 must be one punctuation character, not '" + fs + "'");
  }
  if (chars.empty() || chars.size() > 5) {
    return error(
        Error::bad_delimiters, elements[1],
        "MSH.2 must hold 1 to 5 encoding characters, found " + std::to_string(chars.size()));
  }
  for (std::size_t i = 0; i < chars.size(); ++i) {
    const char c = chars[i];
    if (!is_delimiter_candidate(c) || c == fs[0] || chars.find(c) != i) {
      return error(Error::bad_delimiters, elements[1],
                   "encoding character '" + std::string(1, c) +
                       "' is a letter, digit, space, the field separator or repeated");
    }
  }
  d_ = Delimiters{};
  d_.field = fs[0];
  const std::array<char*, 5> slots = {&d_.component, &d_.repetition, &d_.escape, &d_.subcomponent,
                                      &d_.truncation};
  for (std::size_t i = 0; i < slots.size(); ++i) {
    *slots[i] = i < chars.size() ? chars[i] : '\0';
  }
  out_ += d_.field;
  out_ += chars;
  return std::nullopt;
}

// `level` 0 is a repetition (its children are components), 1 a component (children are
// sub-components), 2 a sub-component, which can only be text.
std::optional<ParseError> V2xmlTranscoder::write_value(pugi::xml_node node, int level) {
  if (is_leaf(node)) {
    return write_leaf(node);
  }
  if (level == 2) {
    return error(Error::xml_not_v2xml, node,
                 "'" + std::string(node.name()) + "' nests deeper than a sub-component");
  }
  const char delimiter = level == 0 ? d_.component : d_.subcomponent;
  Numbered parts;
  if (auto e = numbered_children(node, parts)) {
    return e;
  }
  const std::size_t begin = out_.size();
  std::size_t written = 0;
  for (const auto& [number, child] : parts) {
    if (number == written) {
      return error(Error::xml_not_v2xml, child,
                   "'" + std::string(child.name()) + "' given twice; only fields repeat");
    }
    if (auto e = pad(delimiter, written == 0 ? number - 1 : number - written, child)) {
      return e;
    }
    written = number;
    if (auto e = write_value(child, level + 1)) {
      return e;
    }
  }
  trim(delimiter, begin);
  return std::nullopt;
}

bool V2xmlTranscoder::needs_escape(const TextPiece& piece) const {
  if (piece.kind == TextPiece::Kind::escape) {
    return true;
  }
  return std::any_of(piece.text.begin(), piece.text.end(), [this](char c) {
    return c == d_.field || c == d_.component || c == d_.repetition || c == d_.subcomponent ||
           (d_.truncation != '\0' && c == d_.truncation) || c == '\n' || c == '\r' || c == '\0';
  });
}

std::optional<ParseError> V2xmlTranscoder::write_leaf(pugi::xml_node node) {
  std::vector<TextPiece> pieces;
  if (auto e = leaf_pieces(node, pieces)) {
    return e;
  }
  for (const TextPiece& p : pieces) {
    if (d_.escape == '\0' && needs_escape(p)) {
      // encode_escapes would put a space for the delimiter: data lost without a word.
      return error(Error::bad_delimiters, node,
                   "the value needs escaping, but MSH.2 declares no escape character");
    }
    if (p.kind != TextPiece::Kind::escape) {
      out_ += encode_escapes(p.text, d_);
      continue;
    }
    for (char c : p.text) {
      if (c == d_.field || c == d_.component || c == d_.repetition || c == d_.escape ||
          c == d_.subcomponent || (d_.truncation != '\0' && c == d_.truncation)) {
        return error(Error::xml_not_v2xml, node, "escape V='" + p.text + "' holds a delimiter");
      }
    }
    out_ += d_.escape;
    out_ += p.text;
    out_ += d_.escape;
  }
  if (out_.size() > limit_) {
    return error(Error::too_large, node,
                 "the ER7 grows past the limit of " + std::to_string(limit_) + " bytes");
  }
  return std::nullopt;
}

// A leaf's text and `<escape V="..."/>` elements, white space normalized, references decoded.
std::optional<ParseError> V2xmlTranscoder::leaf_pieces(pugi::xml_node node,
                                                       std::vector<TextPiece>& out) const {
  for (pugi::xml_node child : node.children()) {
    if (is_text(child)) {
      const auto kind =
          child.type() == pugi::node_cdata ? TextPiece::Kind::cdata : TextPiece::Kind::text;
      out.push_back({kind, child.value(), xml_offset(child)});
    } else if (child.type() == pugi::node_element) {
      if (auto e = check_element(child)) {
        return e;
      }
      TextPiece piece{TextPiece::Kind::escape, {}, xml_offset(child)};
      const TextFault fault = append_unescaped(piece.text, child.attribute("V").value());
      if (fault.kind != TextFault::Kind::none) {
        return error(fault.code(), child, fault.detail);
      }
      if (piece.text.empty() || child.first_child() ||
          piece.text.find_first_of("\r\n") != std::string::npos) {
        return error(Error::xml_not_v2xml, child,
                     "an escape element needs a one-line V and no content");
      }
      out.push_back(std::move(piece));
    }
  }
  // White space first: a character reference such as &#10; is data, not pretty-printing.
  normalize_space(out);
  for (TextPiece& p : out) {
    if (p.kind != TextPiece::Kind::text) {
      continue;
    }
    std::string decoded;
    const TextFault fault = append_unescaped(decoded, p.text);
    if (fault.kind != TextFault::Kind::none) {
      return error(fault.code(), p.offset + fault.at, fault.detail);
    }
    p.text = std::move(decoded);
  }
  return std::nullopt;
}

std::optional<ParseError> V2xmlTranscoder::numbered_children(pugi::xml_node node,
                                                             Numbered& out) const {
  for (pugi::xml_node child : node.children()) {
    if (is_text(child)) {
      if (auto e = check_no_text(child,
                                 "stands beside elements in '" + std::string(node.name()) + "'")) {
        return e;
      }
      continue;
    }
    if (child.type() != pugi::node_element) {
      continue;
    }
    if (auto e = check_element(child)) {
      return e;
    }
    const auto number = position_of(local_name(child));
    if (!number) {
      return error(Error::xml_not_v2xml, child,
                   "'" + std::string(child.name()) + "' in '" + node.name() +
                       "' is not a numbered position such as PID.3 or CX.1 (1 to " +
                       std::to_string(kMaxPosition) + ")");
    }
    out.emplace_back(*number, child);
  }
  // Positions go by number; repetitions of a field keep their document order.
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return std::nullopt;
}

std::optional<ParseError> V2xmlTranscoder::pad(char delimiter, std::size_t count,
                                               pugi::xml_node at) {
  if (count == 0) {
    return std::nullopt;
  }
  if (delimiter == '\0') {
    return error(Error::bad_delimiters, at,
                 "'" + std::string(at.name()) + "' needs a separator MSH.2 does not declare");
  }
  if (out_.size() + count > limit_) {
    return error(Error::too_large, at,
                 "the ER7 grows past the limit of " + std::to_string(limit_) + " bytes");
  }
  out_.append(count, delimiter);
  return std::nullopt;
}

// Drops the trailing empty positions of one level: `A^B^^` is written `A^B`. What follows
// `floor` holds no unescaped delimiter of this level other than the ones this writer put.
void V2xmlTranscoder::trim(char delimiter, std::size_t floor) {
  while (out_.size() > floor && out_.back() == delimiter) {
    out_.pop_back();
  }
}
}  // namespace hisbridge::hl7
