#pragma once

#include <string>

namespace hisbridge::hl7 {

// The separators a message declares in MSH-1 and MSH-2. A character a sender leaves out of
// MSH-2 (some send only `^~\`) is '\0' and never matches message text.
struct Delimiters {
  char field = '|';
  char component = '^';
  char repetition = '~';
  char escape = '\\';
  char subcomponent = '&';
  char truncation = '\0';  // v2.7 §2.5.5.2: optional fifth MSH-2 character

  // MSH-2 as it is written: component, repetition, escape, subcomponent[, truncation].
  std::string encoding_characters() const;

  friend bool operator==(const Delimiters&, const Delimiters&) = default;
};

inline std::string Delimiters::encoding_characters() const {
  std::string out;
  for (char c : {component, repetition, escape, subcomponent, truncation}) {
    if (c == '\0') {
      break;
    }
    out += c;
  }
  return out;
}

}  // namespace hisbridge::hl7
