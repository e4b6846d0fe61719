#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/hl7/delimiters.hpp"

namespace hisbridge::hl7 {

// A view of one field, repetition, component or sub-component of a parsed message: the raw
// bytes between its delimiters, still escaped. Nothing is copied or decoded until `value()`.
// An Element is valid as long as the bytes of the Message it came from.
//
// Three states an interface analyst must tell apart (v2.5.1 §2.5.3):
//   !exists()           the position is beyond what the sender wrote
//   exists() && empty() the sender wrote the delimiters but no value ("not sent")
//   is_null()           the sender wrote `""`: delete the value on the receiving side
class Element {
 public:
  enum class Level : std::uint8_t { field, repetition, component, subcomponent, literal };

  Element() = default;
  Element(std::string_view raw, const Delimiters& d, Level level)
      : raw_(raw), delimiters_(d), level_(level), exists_(true) {}

  bool exists() const { return exists_; }
  bool empty() const { return raw_.empty(); }
  bool is_null() const { return raw_ == "\"\""; }
  Level level() const { return level_; }

  // The text as sent, escape sequences and inner delimiters included.
  std::string_view raw() const { return raw_; }
  // The text with escape sequences decoded (inner delimiters kept as they are).
  std::string value() const;

  // 1-based children. A component asked of a field is taken from its first repetition, a
  // sub-component asked of a field or repetition from its first component: `PID-5.1` means
  // the family name of the first name, as every HL7 tool reads it.
  Element repetition(std::size_t number) const;
  Element component(std::size_t number) const;
  Element subcomponent(std::size_t number) const;

  std::size_t repetition_count() const;
  std::size_t component_count() const;
  std::size_t subcomponent_count() const;

  const Delimiters& delimiters() const { return delimiters_; }

 private:
  Element child(char delimiter, std::size_t number, Level level) const;
  std::size_t count(char delimiter) const;

  std::string_view raw_;
  Delimiters delimiters_;
  Level level_ = Level::field;
  bool exists_ = false;
};

}  // namespace hisbridge::hl7
