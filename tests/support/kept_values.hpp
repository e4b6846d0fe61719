#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/mapping/record.hpp"

namespace hisbridge::testing_support {

// Values for the records a test builds by hand. A mapping::Value views its text, which a
// mapping's output keeps in its own store; these keep theirs for the life of the test program.
inline mapping::TextStore& kept_texts() {
  static mapping::TextStore store;
  return store;
}

inline mapping::Value kept_value(mapping::Value::Type type, std::string_view text) {
  return {type, kept_texts().keep(text)};
}

inline mapping::Value kept_text(std::string_view text) {
  return kept_value(mapping::Value::Type::text, text);
}

inline mapping::Value kept_integer(std::int64_t n) {
  return kept_value(mapping::Value::Type::integer, std::to_string(n));
}

}  // namespace hisbridge::testing_support
