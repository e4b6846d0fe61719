#include "engine/metrics/exposition.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace hisbridge::metrics {
namespace {

bool is_lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlongs,
// no surrogates, nothing above U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) {
    return 1;
  }
  std::size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    lo = b0 == 0xE0 ? 0xA0 : 0x80;
    hi = b0 == 0xED ? 0x9F : 0xBF;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    lo = b0 == 0xF0 ? 0x90 : 0x80;
    hi = b0 == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (s.size() < n) {
    return 0;
  }
  for (std::size_t i = 1; i < n; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) {
      return 0;
    }
  }
  return n;
}

}  // namespace

bool valid_metric_name(std::string_view name) {
  constexpr std::string_view kPrefix = "hisbridge_";
  if (!name.starts_with(kPrefix) || name.size() == kPrefix.size()) {
    return false;
  }
  for (const char c : name) {
    if (!is_lower_or_digit(c) && c != '_') {
      return false;
    }
  }
  return true;
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || name.starts_with("__") || !(is_letter(name[0]) || name[0] == '_')) {
    return false;
  }
  for (const char c : name) {
    if (!is_letter(c) && !(c >= '0' && c <= '9') && c != '_') {
      return false;
    }
  }
  return true;
}

void append_label_value(std::string& out, std::string_view value) {
  while (!value.empty()) {
    const char c = value[0];
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else if (const std::size_t n = utf8_sequence(value); n > 0) {
      out.append(value.substr(0, n));
      value.remove_prefix(n);
      continue;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD for a byte that starts no UTF-8 sequence
    }
    value.remove_prefix(1);
  }
}

void append_help(std::string& out, std::string_view help) {
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    // Plain decimals where they stay short (bucket bounds such as 0.0005 read better than
    // 5e-04); the shortest form that reads back exactly either way.
    char buffer[64];
    const double magnitude = std::fabs(value);
    const bool plain = magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e15);
    const auto [end, ec] =
        plain ? std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed)
              : std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, ec == std::errc() ? end : buffer);
  }
}

void append_sample(std::string& out, std::string_view name, const Labels& labels, double value,
                   const std::pair<std::string_view, std::string_view>* extra) {
  out.append(name);
  if (!labels.empty() || extra != nullptr) {
    out += '{';
    bool first = true;
    const auto label = [&](std::string_view key, std::string_view text) {
      out.append(first ? "" : ",").append(key).append("=\"");
      append_label_value(out, text);
      out += '"';
      first = false;
    };
    for (const auto& [key, text] : labels) {
      label(key, text);
    }
    if (extra != nullptr) {
      label(extra->first, extra->second);
    }
    out += '}';
  }
  out += ' ';
  append_value(out, value);
  out += '\n';
}

}  // namespace hisbridge::metrics
