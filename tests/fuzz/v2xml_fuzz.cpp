#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/hl7/message.hpp"
#include "tests/fuzz/walk_message.hpp"
#include "engine/hl7/xml_reader.hpp"

using namespace hisbridge::hl7;

// Reads the input as one HL7 v2.xml message. When it reads, the ER7 it became must parse
// again into the same segments and write back the same bytes, and every element down to
// sub-components is decoded. When it does not, the error must say where, inside the input.
// Any crash, sanitizer report or broken invariant is a finding.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  ParseOptions options;
  options.max_message_bytes = 1 << 20;
  options.max_segments = 2000;
  auto read = read_v2xml(xml, options);
  if (!read) {
    if (read.error().offset > size || read.error().message().empty()) {
      __builtin_trap();
    }
    return 0;
  }
  const Message& m = *read;
  if (m.segment_count() == 0 || !m.segment(1).is_msh()) {
    __builtin_trap();
  }
  (void)m.header();
  const std::string er7 = m.to_er7();
  auto again = Message::parse(er7, options);
  if (!again || again->segment_count() != m.segment_count() || again->to_er7() != er7) {
    __builtin_trap();
  }
  const std::size_t total = decode_every_element(m);
  return total == SIZE_MAX ? 1 : 0;
}
