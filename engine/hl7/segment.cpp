#include "engine/hl7/segment.hpp"

namespace hisbridge::hl7 {

// Parts are the pieces between field separators: part 0 is the segment id. For every segment
// but MSH, field n is part n; in MSH the separator itself is field 1, so field n is part n-1.
Element Segment::part(std::size_t index) const {
  if (index >= parts_.size()) {
    return {};
  }
  return Element(parts().text(index), delimiters_, Element::Level::field);
}

std::size_t Segment::field_count() const {
  if (parts_.empty()) {
    return 0;
  }
  return is_msh() ? parts_.size() : parts_.size() - 1;
}

Element Segment::field(std::size_t number) const {
  if (number == 0) {
    return {};
  }
  if (!is_msh()) {
    return part(number);
  }
  if (number == 1) {
    return Element(raw_.substr(3, 1), delimiters_, Element::Level::literal);
  }
  Element e = part(number - 1);
  if (number == 2 && e.exists()) {
    return Element(e.raw(), delimiters_, Element::Level::literal);
  }
  return e;
}

}  // namespace hisbridge::hl7
