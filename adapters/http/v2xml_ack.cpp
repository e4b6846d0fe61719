#include "adapters/http/v2xml_ack.hpp"

#include <array>
#include <cstddef>
#include <utility>

#include "engine/hl7/element.hpp"
#include "engine/hl7/message.hpp"
#include "engine/hl7/utf8.hpp"

namespace hisbridge::http {
namespace {

// v2.5 data types of the fields of the segments an ACK holds (chapter 2, segment
// definitions); index 0 is field 1. Primitive types (ST, ID, NM, TX, IS) are written as text.
constexpr std::array<std::string_view, 21> kMsh = {"ST", "ST",  "HD", "HD", "HD",  "HD", "TS",
                                                   "ST", "MSG", "ST", "PT", "VID", "NM", "ST",
                                                   "ID", "ID",  "ID", "ID", "CE",  "ID", "EI"};
constexpr std::array<std::string_view, 6> kMsa = {"ID", "ST", "ST", "NM", "ID", "CE"};
constexpr std::array<std::string_view, 12> kErr = {"ELD", "ERL", "CWE", "ID",  "CWE", "ST",
                                                   "TX",  "TX",  "IS",  "CWE", "CWE", "XTN"};

constexpr std::array<std::string_view, 11> kComposites = {"HD",  "TS",  "MSG", "PT", "VID", "CE",
                                                          "CWE", "ELD", "ERL", "EI", "XTN"};
constexpr std::string_view kUnknownComposite = "varies";

template <std::size_t N>
std::string_view lookup(const std::array<std::string_view, N>& table, std::size_t field) {
  return field >= 1 && field <= N ? table[field - 1] : std::string_view();
}

// The data type of a field; empty when not known.
std::string_view field_type(std::string_view segment, std::size_t field) {
  if (segment == "MSH") {
    return lookup(kMsh, field);
  }
  if (segment == "MSA") {
    return lookup(kMsa, field);
  }
  if (segment == "ERR") {
    return lookup(kErr, field);
  }
  return {};
}

bool is_composite(std::string_view type) {
  if (type == kUnknownComposite) {
    return true;
  }
  for (std::string_view c : kComposites) {
    if (c == type) {
      return true;
    }
  }
  return false;
}

// The data type of a component; empty for a primitive. Only VID-2/3 and ELD-4 (both CE) are
// composite among the components an ACK can hold.
std::string_view component_type(std::string_view type, std::size_t component) {
  if ((type == "VID" && (component == 2 || component == 3)) || (type == "ELD" && component == 4)) {
    return "CE";
  }
  return {};
}

bool is_xml_char(unsigned char c) { return c >= 0x20 || c == '\t' || c == '\n' || c == '\r'; }

void append_valid(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\r':
        out += "&#13;";
        break;  // a raw CR would be read back as LF (XML 1.0 §2.11)
      default:
        if (is_xml_char(static_cast<unsigned char>(c))) {
          out += c;
        } else {
          out += "\xEF\xBF\xBD";
        }
    }
  }
}

void append_text(std::string& out, std::string_view text) {
  while (!text.empty()) {
    const std::size_t bad = hl7::find_invalid_utf8(text);
    append_valid(out, text.substr(0, bad));
    if (bad == std::string_view::npos) {
      return;
    }
    out += "\xEF\xBF\xBD";
    text.remove_prefix(bad + 1);
  }
}

void append_leaf(std::string& out, std::string_view name, std::string_view text) {
  out += '<';
  out += name;
  out += '>';
  append_text(out, text);
  out += "</";
  out += name;
  out += '>';
}

void append_composite(std::string& out, const hl7::Element& value, std::string_view type,
                      bool subcomponents) {
  const std::size_t count = subcomponents ? value.subcomponent_count() : value.component_count();
  for (std::size_t n = 1; n <= count; ++n) {
    const hl7::Element part = subcomponents ? value.subcomponent(n) : value.component(n);
    if (part.empty()) {
      continue;
    }
    const std::string name = std::string(type) + "." + std::to_string(n);
    const std::string_view inner = subcomponents ? std::string_view() : component_type(type, n);
    if (inner.empty() || part.subcomponent_count() <= 1) {
      append_leaf(out, name, part.value());
      continue;
    }
    out += '<' + name + '>';
    append_composite(out, part, inner, true);
    out += "</" + name + '>';
  }
}

void append_field(std::string& out, const hl7::Segment& segment, std::size_t number) {
  const std::string name = std::string(segment.id()) + "." + std::to_string(number);
  const hl7::Element field = segment.field(number);
  if (segment.is_msh() && number <= 2) {
    return append_leaf(out, name, field.raw());  // the delimiters themselves, never decoded
  }
  std::string_view type = field_type(segment.id(), number);
  // Trailing empty repetitions say nothing; empty ones between values keep their place.
  std::size_t last = field.repetition_count();
  while (last > 0 && field.repetition(last).empty()) {
    --last;
  }
  for (std::size_t r = 1; r <= last; ++r) {
    const hl7::Element repetition = field.repetition(r);
    if (type.empty() && repetition.component_count() > 1) {
      type = kUnknownComposite;
    }
    if (!is_composite(type) || repetition.empty()) {
      append_leaf(out, name, repetition.value());
      continue;
    }
    out += '<' + name + '>';
    append_composite(out, repetition, type, false);
    out += "</" + name + '>';
  }
}

}  // namespace

hl7::ParseResult<std::string> ack_to_v2xml(std::string_view er7) {
  auto parsed = hl7::Message::parse(er7);
  if (!parsed) {
    return parsed.error();
  }
  const hl7::Message& message = *parsed;
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ACK xmlns=\"urn:hl7-org:v2xml\">\n";
  for (std::size_t s = 1; s <= message.segment_count(); ++s) {
    const hl7::Segment segment = message.segment(s);
    out += "  <";
    out += segment.id();
    out += '>';
    for (std::size_t f = 1; f <= segment.field_count(); ++f) {
      if (!segment.field(f).empty()) {
        append_field(out, segment, f);
      }
    }
    out += "</";
    out += segment.id();
    out += ">\n";
  }
  out += "</ACK>\n";
  return out;
}

}  // namespace hisbridge::http
