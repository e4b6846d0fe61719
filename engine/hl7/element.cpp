#include "engine/hl7/element.hpp"

#include "engine/hl7/escape.hpp"

namespace hisbridge::hl7 {

std::string Element::value() const { return decode_escapes(raw_, delimiters_); }

Element Element::child(char delimiter, std::size_t number, Level level) const {
  if (!exists_ || number == 0 || level_ == Level::literal) {
    return {};
  }
  if (delimiter == '\0') {
    return number == 1 ? Element(raw_, delimiters_, level) : Element();
  }
  std::size_t begin = 0;
  for (std::size_t n = 1; n < number; ++n) {
    const std::size_t next = raw_.find(delimiter, begin);
    if (next == std::string_view::npos) {
      return {};
    }
    begin = next + 1;
  }
  const std::size_t end = raw_.find(delimiter, begin);
  return Element(raw_.substr(begin, end == std::string_view::npos ? end : end - begin),
                 delimiters_, level);
}

std::size_t Element::count(char delimiter) const {
  if (!exists_) {
    return 0;
  }
  if (delimiter == '\0' || level_ == Level::literal) {
    return 1;
  }
  std::size_t n = 1;
  for (char c : raw_) {
    n += c == delimiter ? 1 : 0;
  }
  return n;
}

// Every accessor starts from "absent stays absent": an absent field has no first repetition
// to descend into, and descending anyway would recurse without end.
Element Element::repetition(std::size_t number) const {
  if (!exists_) {
    return {};
  }
  if (level_ != Level::field) {
    return number == 1 ? *this : Element();
  }
  return child(delimiters_.repetition, number, Level::repetition);
}

Element Element::component(std::size_t number) const {
  if (!exists_) {
    return {};
  }
  switch (level_) {
    case Level::field: return repetition(1).component(number);
    case Level::repetition: return child(delimiters_.component, number, Level::component);
    default: return number == 1 ? *this : Element();
  }
}

Element Element::subcomponent(std::size_t number) const {
  if (!exists_) {
    return {};
  }
  switch (level_) {
    case Level::field:
    case Level::repetition: return component(1).subcomponent(number);
    case Level::component: return child(delimiters_.subcomponent, number, Level::subcomponent);
    default: return number == 1 ? *this : Element();
  }
}

std::size_t Element::repetition_count() const {
  return level_ == Level::field ? count(delimiters_.repetition) : (exists_ ? 1 : 0);
}

std::size_t Element::component_count() const {
  if (!exists_) {
    return 0;
  }
  switch (level_) {
    case Level::field: return repetition(1).component_count();
    case Level::repetition: return count(delimiters_.component);
    default: return exists_ ? 1 : 0;
  }
}

std::size_t Element::subcomponent_count() const {
  if (!exists_) {
    return 0;
  }
  switch (level_) {
    case Level::field:
    case Level::repetition: return component(1).subcomponent_count();
    case Level::component: return count(delimiters_.subcomponent);
    default: return exists_ ? 1 : 0;
  }
}

}  // namespace hisbridge::hl7
