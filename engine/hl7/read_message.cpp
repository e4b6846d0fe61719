#include "engine/hl7/read_message.hpp"

#include "engine/hl7/charset.hpp"
#include "engine/hl7/xml_reader.hpp"

namespace hisbridge::hl7 {

bool looks_like_xml(std::string_view raw) {
  if (raw.starts_with("\xEF\xBB\xBF")) {
    raw.remove_prefix(3);
  }
  const std::size_t first = raw.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && raw[first] == '<';
}

ParseResult<Message> read_message(std::string_view raw,
                                            std::string_view charset_override) {
  if (looks_like_xml(raw)) {
    // The XML declaration names the encoding; MSH-18 inside is informative only.
    return read_v2xml(raw);
  }
  DecodeOptions options;
  options.charset_override = std::string(charset_override);
  return decode(raw, options);
}

}  // namespace hisbridge::hl7
