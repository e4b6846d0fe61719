#include "engine/hl7/xml_text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace hisbridge::hl7 {
namespace {

// The longest reference worth looking at: `&#x10FFFF;` and the predefined names fit easily.
constexpr std::size_t kMaxReference = 12;

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// XML 1.0 §2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
bool is_xml_char(std::uint32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

// `body` is what follows `&#`: decimal digits, or `x` and hex digits.
std::optional<std::uint32_t> character_reference(std::string_view body) {
  const bool hex = body.starts_with('x');
  const std::string_view digits = hex ? body.substr(1) : body;
  if (digits.empty() || digits.size() > 7) {
    return std::nullopt;
  }
  std::uint32_t cp = 0;
  for (char c : digits) {
    std::uint32_t v = 0;
    if (c >= '0' && c <= '9') {
      v = static_cast<std::uint32_t>(c - '0');
    } else if (hex && c >= 'a' && c <= 'f') {
      v = static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (hex && c >= 'A' && c <= 'F') {
      v = static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    cp = cp * (hex ? 16u : 10u) + v;
  }
  if (!is_xml_char(cp)) {
    return std::nullopt;
  }
  return cp;
}

std::optional<char> predefined_entity(std::string_view name) {
  if (name == "amp") {
    return '&';
  }
  if (name == "lt") {
    return '<';
  }
  if (name == "gt") {
    return '>';
  }
  if (name == "quot") {
    return '"';
  }
  if (name == "apos") {
    return '\'';
  }
  return std::nullopt;
}

TextFault fault(TextFault::Kind kind, std::size_t at, std::string detail) {
  return TextFault{kind, at, std::move(detail)};
}

bool is_name_char(char c) {
  return !is_xml_space(c) && c != '&' && c != '<' && c != '>' && c != '"' && c != '\'' && c != ';';
}

std::string_view trim_start(std::string_view s) {
  while (!s.empty() && is_xml_space(s.front())) {
    s.remove_prefix(1);
  }
  return s;
}

std::string_view trim_end(std::string_view s) {
  while (!s.empty() && is_xml_space(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

std::string collapse_line_breaks(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    if (!is_xml_space(s[i])) {
      out += s[i++];
      continue;
    }
    std::size_t end = i;
    bool line_break = false;
    while (end < s.size() && is_xml_space(s[end])) {
      line_break = line_break || s[end] == '\n' || s[end] == '\r';
      ++end;
    }
    if (line_break) {
      out += ' ';
    } else {
      out.append(s, i, end - i);
    }
    i = end;
  }
  return out;
}

}  // namespace

TextFault append_unescaped(std::string& out, std::string_view raw) {
  std::size_t pos = 0;
  while (pos < raw.size()) {
    const std::size_t amp = raw.find('&', pos);
    if (amp == std::string_view::npos) {
      break;
    }
    out.append(raw, pos, amp - pos);
    std::size_t end = amp + 1;
    while (end < raw.size() && end - amp <= kMaxReference && is_name_char(raw[end])) {
      ++end;
    }
    const std::string_view name = raw.substr(amp + 1, end - amp - 1);
    if (end >= raw.size() || raw[end] != ';' || name.empty()) {
      return fault(TextFault::Kind::malformed, amp, "'&' starts no reference (write &amp;)");
    }
    if (name.starts_with('#')) {
      const auto cp = character_reference(name.substr(1));
      if (!cp) {
        return fault(TextFault::Kind::malformed, amp,
                     "'&" + std::string(name) + ";' is no XML character");
      }
      append_utf8(out, *cp);
    } else if (const auto c = predefined_entity(name)) {
      out += *c;
    } else {
      return fault(TextFault::Kind::entity, amp,
                   "entity reference '&" + std::string(name) + ";' is never resolved");
    }
    pos = end + 1;
  }
  out.append(raw, pos, std::string_view::npos);
  return {};
}

void normalize_space(std::vector<TextPiece>& pieces) {
  for (TextPiece& p : pieces) {
    if (p.kind == TextPiece::Kind::text) {
      p.text = collapse_line_breaks(p.text);
    }
  }
  if (!pieces.empty() && pieces.front().kind == TextPiece::Kind::text) {
    pieces.front().text = std::string(trim_start(pieces.front().text));
  }
  if (!pieces.empty() && pieces.back().kind == TextPiece::Kind::text) {
    pieces.back().text = std::string(trim_end(pieces.back().text));
  }
}

bool is_readable_xml_encoding(std::string_view encoding) {
  static constexpr std::array<std::string_view, 12> kReadable = {
      "utf-8",    "utf8",     "utf-16",     "utf-16le", "utf-16be", "utf-32",
      "utf-32le", "utf-32be", "iso-8859-1", "latin1",   "us-ascii", "ascii"};
  std::string lower(encoding);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return std::find(kReadable.begin(), kReadable.end(), lower) != kReadable.end();
}

}  // namespace hisbridge::hl7
