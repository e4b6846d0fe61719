#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace hisbridge::simulate {

// Writes ER7 with the default delimiters (|^~\&). Text given to `text`, `set` and
// `components` is escaped (v2.5.1 §2.7), so a value holding `|` or `^` survives; `set_raw`
// takes what is already ER7.

std::string escaped(std::string_view text);
// Components joined with `^`, each escaped; trailing empty ones dropped.
std::string components(std::initializer_list<std::string_view> parts);
// Sub-components joined with `&`, each escaped.
std::string subcomponents(std::initializer_list<std::string_view> parts);

class SegmentWriter {
 public:
  explicit SegmentWriter(std::string_view id) : id_(id) {}

  SegmentWriter& set(std::size_t field, std::string_view text);
  SegmentWriter& set_raw(std::size_t field, std::string raw);
  // The segment without its terminator; fields after the last one set are left out.
  std::string str() const;

 private:
  std::string id_;
  std::vector<std::string> fields_;  // fields_[n - 1] is field n
};

// A message: segments each ending in CR, the HL7 segment terminator (v2.5.1 §2.5.2).
class MessageWriter {
 public:
  MessageWriter& add(const SegmentWriter& segment);
  MessageWriter& add_raw(std::string_view segment);
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace hisbridge::simulate
