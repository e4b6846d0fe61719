#include "engine/simulate/malformed.hpp"

namespace hisbridge::simulate {
namespace {

bool is_lead_byte(unsigned char c) { return c >= 0xC2 && c <= 0xF4; }
bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Keeps the lead byte of the first multi-byte character after MSH and drops the bytes that
// complete it.
std::string cut_character(std::string_view message) {
  const std::size_t after_msh = message.find('\r');
  std::string out(message);
  for (std::size_t i = after_msh == std::string_view::npos ? 0 : after_msh; i < out.size(); ++i) {
    if (is_lead_byte(static_cast<unsigned char>(out[i]))) {
      std::size_t end = i + 1;
      while (end < out.size() && is_continuation(static_cast<unsigned char>(out[end]))) {
        ++end;
      }
      out.erase(i + 1, end - i - 1);
      return out;
    }
  }
  // Nothing but ASCII: a lone lead byte says the same.
  out.insert(after_msh == std::string_view::npos ? 0 : after_msh, "\xC3");
  return out;
}

}  // namespace

std::string_view malformation_name(Malformation kind) {
  switch (kind) {
    case Malformation::broken_utf8:
      return "broken_utf8";
    case Malformation::line_break_in_value:
      return "line_break_in_value";
    case Malformation::missing_header:
      return "missing_header";
  }
  return "unknown";
}

Malformation pick_malformation(Random& random) {
  return static_cast<Malformation>(random.between(0, 2));
}

std::string malform(std::string_view message, Malformation kind) {
  switch (kind) {
    case Malformation::broken_utf8:
      return cut_character(message);
    case Malformation::line_break_in_value:
      // The text after the line break reads as a segment whose id is not three capitals.
      return std::string(message) +
             "NTE|1|L|Bệnh nhân nhịn ăn từ tối qua,\rđã uống thuốc hạ áp sáng nay.\r";
    case Malformation::missing_header: {
      const std::size_t after_msh = message.find('\r');
      return std::string(message.substr(after_msh == std::string_view::npos ? 0 : after_msh + 1));
    }
  }
  return std::string(message);
}

}  // namespace hisbridge::simulate
