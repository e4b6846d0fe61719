#pragma once

#include <cstddef>

#include "engine/hl7/message.hpp"

namespace hisbridge::hl7 {

// Reads every element of `m` down to sub-components and decodes it: what the fuzz targets do
// with every message that parses, so that each read path is exercised. Returns the bytes
// decoded, which the caller uses so the reads cannot be optimised away.
inline std::size_t decode_every_element(const Message& m) {
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
  return total;
}

}  // namespace hisbridge::hl7
