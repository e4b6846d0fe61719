#pragma once

#include <string>
#include <string_view>

#include "engine/hl7/delimiters.hpp"
#include "engine/hl7/escape.hpp"
#include "engine/mapping/record.hpp"
#include "engine/mapping/text_store.hpp"

namespace hisbridge::mapping {

// Where the values a mapping reads go: a text the message holds as it is becomes a view of the
// output's copy of the message (the same bytes, at the same offset), any other text is kept in
// the output's store.
struct ValueSink {
  const char* message = nullptr;  // the message's bytes
  const char* copy = nullptr;     // the same bytes, kept in `store`
  TextStore* store = nullptr;
  std::string buffer;             // a text being made (decoded, joined), before it is kept

  // `raw`, a part of the message's bytes, as the output's copy holds it.
  std::string_view of_message(std::string_view raw) const {
    return {copy + (raw.data() - message), raw.size()};
  }
  std::string_view keep(std::string_view text) const { return store->keep(text); }
  std::string_view keep_buffer() const { return store->keep(buffer); }
  // `raw` with its escapes decoded (delimiters `d`), kept, into `out`; null when that is empty.
  void set_decoded(std::string_view raw, const hl7::Delimiters& d, Value& out) {
    buffer.clear();
    hl7::append_decoded(buffer, raw, d);
    if (buffer.empty()) {
      out.set_null();
    } else {
      out.set(Value::Type::text, keep_buffer());
    }
  }
};

}  // namespace hisbridge::mapping
