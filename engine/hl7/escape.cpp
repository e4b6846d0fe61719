#include "engine/hl7/escape.hpp"

#include <cstring>
#include <optional>

namespace hisbridge::hl7 {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

// `\Xhh..\` body (without X): pairs of hex digits. nullopt when malformed, so the caller
// keeps the sequence verbatim.
std::optional<std::string> decode_hex(std::string_view body) {
  if (body.empty() || body.size() % 2 != 0) {
    return std::nullopt;
  }
  std::string bytes;
  bytes.reserve(body.size() / 2);
  for (std::size_t i = 0; i < body.size(); i += 2) {
    const int hi = hex_digit(body[i]);
    const int lo = hex_digit(body[i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    bytes += static_cast<char>(hi * 16 + lo);
  }
  return bytes;
}

// Appends what the escape sequence `body` (the text between two escape characters) stands
// for; false when it is not one hisbridge decodes.
bool append_sequence(std::string& out, std::string_view body, const Delimiters& d) {
  if (body.size() == 1) {
    char delimiter = '\0';
    switch (body[0]) {
      case 'F': delimiter = d.field; break;
      case 'S': delimiter = d.component; break;
      case 'T': delimiter = d.subcomponent; break;
      case 'R': delimiter = d.repetition; break;
      case 'E': delimiter = d.escape; break;
      case 'P': delimiter = d.truncation; break;
      default: break;
    }
    // A delimiter the message does not declare (MSH-2 of `^~\` has no sub-component
    // separator) has nothing to stand for: the sequence stays as written.
    if (delimiter == '\0') {
      return false;
    }
    out += delimiter;
    return true;
  }
  if (body == ".br") {
    out += '\n';
    return true;
  }
  if (body.size() > 1 && body[0] == 'X') {
    if (auto bytes = decode_hex(body.substr(1))) {
      out += *bytes;
      return true;
    }
  }
  return false;
}

}  // namespace

void append_decoded(std::string& out, std::string_view raw, const Delimiters& d) {
  if (d.escape == '\0') {
    out += raw;
    return;
  }
  std::size_t pos = 0;
  while (pos < raw.size()) {
    const std::size_t open = raw.find(d.escape, pos);
    if (open == std::string_view::npos) {
      break;
    }
    const std::size_t close = raw.find(d.escape, open + 1);
    if (close == std::string_view::npos) {
      break;  // an unterminated escape is text, kept as written
    }
    out.append(raw, pos, open - pos);
    const std::string_view body = raw.substr(open + 1, close - open - 1);
    if (!append_sequence(out, body, d)) {
      out.append(raw, open, close - open + 1);
    }
    pos = close + 1;
  }
  out.append(raw, pos, std::string_view::npos);
}

std::string decode_escapes(std::string_view raw, const Delimiters& d) {
  std::string out;
  out.reserve(raw.size());
  append_decoded(out, raw, d);
  return out;
}

std::string encode_escapes(std::string_view text, const Delimiters& d) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const char* code = nullptr;
    if (c == '\0') {
      code = "X00";
    } else if (c == d.escape) {
      code = "E";
    } else if (c == d.field) {
      code = "F";
    } else if (c == d.component) {
      code = "S";
    } else if (c == d.subcomponent) {
      code = "T";
    } else if (c == d.repetition) {
      code = "R";
    } else if (c == d.truncation) {
      code = "P";
    } else if (c == '\n') {
      code = ".br";
    } else if (c == '\r') {
      code = "X0D";
    }
    if (code == nullptr) {
      out += c;
      continue;
    }
    // Without an escape character the delimiter cannot be written at all: a space keeps
    // the structure intact rather than splitting the value.
    if (d.escape == '\0') {
      out += ' ';
      continue;
    }
    out += d.escape;
    out += code;
    out += d.escape;
  }
  return out;
}

}  // namespace hisbridge::hl7
