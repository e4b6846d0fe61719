#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "engine/hl7/error.hpp"

namespace hisbridge::hl7 {

// A position in a message, written as the spec names it, every number 1-based:
//   PID            the first PID segment
//   OBX[3]-5       field 5 of the third OBX
//   PID-5          field 5, every repetition
//   PID-3[2].1     component 1 of the second repetition of field 3
//   OBR-32.1.2     sub-component 2 of component 1 of field 32 (first repetition)
// A number left out is 0 in the struct: "not narrowed to one".
struct Path {
  std::string segment;
  std::size_t segment_occurrence = 1;
  std::size_t field = 0;
  std::size_t repetition = 0;
  std::size_t component = 0;
  std::size_t subcomponent = 0;

  static ParseResult<Path> parse(std::string_view text);
  std::string to_string() const;

  friend bool operator==(const Path&, const Path&) = default;
};

}  // namespace hisbridge::hl7
