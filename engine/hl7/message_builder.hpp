#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "engine/hl7/delimiters.hpp"
#include "engine/hl7/error.hpp"
#include "engine/hl7/message.hpp"
#include "engine/hl7/path.hpp"

namespace hisbridge::hl7 {

// Builds a new message or edits a copy of a received one, as text. Values given to `set` are
// escaped with the message's own delimiters; `set_raw` takes text that is already escaped.
// A copy made with `from()` and not edited writes back the received bytes exactly, segment
// terminators included; new segments end with CR (v2.5.1 §2.5.2).
class MessageBuilder {
 public:
  // Starts with no segments. MSH-1/MSH-2 are taken from `delimiters` when MSH is added.
  explicit MessageBuilder(Delimiters delimiters = {});
  static MessageBuilder from(const Message& message);

  // Appends a segment (three upper-case letters or digits) and returns its 1-based number.
  ParseResult<std::size_t> add_segment(std::string_view id);

  // Sets the text at `path`, creating missing fields, repetitions and components as empty
  // ones. The segment occurrence must exist, or be the next one (which is appended). A path
  // without a repetition replaces the whole field. MSH-1 and MSH-2 cannot be set: they are the
  // delimiters every other value was escaped with.
  ParseResult<void> set(const Path& path, std::string_view text);
  ParseResult<void> set(std::string_view path, std::string_view text);
  ParseResult<void> set_raw(const Path& path, std::string_view raw);

  std::size_t segment_count() const { return segments_.size(); }
  const Delimiters& delimiters() const { return delimiters_; }

  std::string to_er7() const;
  // The built text, parsed: what a receiver of `to_er7()` would read.
  ParseResult<Message> build(const ParseOptions& options = {}) const;

 private:
  struct SegmentText {
    std::string id;
    std::vector<std::string> fields;  // fields[n - 1] is field n, raw (escaped)
    std::string terminator = "\r";
  };

  ParseResult<SegmentText*> segment_for(const Path& path);

  Delimiters delimiters_;
  std::vector<SegmentText> segments_;
};

}  // namespace hisbridge::hl7
