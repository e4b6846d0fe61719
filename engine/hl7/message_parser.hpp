#pragma once

#include <optional>
#include <string_view>

#include "engine/hl7/error.hpp"
#include "engine/hl7/message.hpp"

namespace hisbridge::hl7 {

// Builds a Message's segment and field index in one pass over the bytes. Separate from Message
// so the model stays a plain view and the tokenizer can be read (and tuned) on its own.
class MessageParser {
 public:
  MessageParser(std::string_view bytes, const ParseOptions& options, Message& out)
      : bytes_(bytes), options_(options), out_(out) {}

  // Fills `out`; the error says what is wrong and where.
  std::optional<ParseError> run();

 private:
  std::optional<ParseError> read_delimiters();
  std::optional<ParseError> scan();
  std::optional<ParseError> begin_segment(std::size_t at);
  std::optional<ParseError> end_segment(std::size_t at);
  ParseError error(Error code, std::size_t offset, std::string detail) const;

  std::string_view bytes_;
  const ParseOptions& options_;
  Message& out_;
  std::size_t segment_begin_ = 0;
  std::size_t segment_first_part_ = 0;
};

}  // namespace hisbridge::hl7
