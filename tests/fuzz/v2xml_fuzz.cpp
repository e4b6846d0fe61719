#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/hl7/message.hpp"
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
  std::size_t total = 0;
  for (std::size_t s = 1; s <= m.segment_count(); ++s) {
    const Segment seg = m.segment(s);
    for (std::size_t f = 1; f <= seg.field_count(); ++f) {
      const Element field = seg.field(f);
      for (std::size_t r = 1; r <= field.repetition_count(); ++r) {
        const Element rep = field.repetition(r);
        for (std::size_t c = 1; c <= rep.component_count(); ++c) {
          const Element comp = rep.component(c);
          for (std::size_t sc = 1; sc <= comp.subcomponent_count(); ++sc) {
            total += comp.subcomponent(sc).value().size();
          }
        }
      }
    }
  }
  return total == SIZE_MAX ? 1 : 0;
}
