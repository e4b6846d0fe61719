#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/hl7/error.hpp"

namespace hisbridge::hl7 {

// A line of a file that belongs to no message: text before the first MSH, a comment between
// messages (`// ...`, `/* ... */`), or segments after a blank line that no MSH starts.
struct SkippedLine {
  std::size_t line = 0;   // 1-based
  std::string_view text;  // without its terminator
};

// One BHS ... BTS batch (v2.5.1 §2.10.3).
struct BatchEnvelope {
  std::string_view header;                    // the BHS segment, without its terminator
  std::string_view trailer;                   // the BTS segment; empty when there is none
  std::size_t header_line = 0;                // 1-based line of the BHS
  std::optional<std::size_t> declared_count;  // BTS-1, batch message count
  std::size_t message_count = 0;              // messages found between BHS and BTS
};

// The messages of a file: one message, a batch file (FHS, BHS, messages, BTS, FTS), or many
// messages one after another. Every view points into the file given to split_messages.
struct Batch {
  // Each message from its MSH to the terminator of its last segment, terminators included,
  // so that Message::parse(m).to_er7() gives the same bytes back.
  std::vector<std::string_view> messages;
  std::vector<std::size_t> message_lines;  // 1-based line of each message's MSH, same order

  std::string_view file_header;                     // the FHS segment; empty when none
  std::string_view file_trailer;                    // the FTS segment; empty when none
  std::optional<std::size_t> declared_batch_count;  // FTS-1, file batch count
  std::vector<BatchEnvelope> batches;

  // Lines that were not part of any message, so that nothing in the file is lost unsaid.
  std::vector<SkippedLine> skipped;
  // Where the envelope does not hold together, each `batch_malformed` with the byte offset of
  // the segment at fault: a BTS-1 or FTS-1 count that differs from what the file holds, a BHS
  // without BTS, a BTS or FTS without its header, a second FHS.
  std::vector<ParseError> problems;
};

// Splits `file` into messages without parsing them. A message starts at each line that begins
// with `MSH` and a field separator, and ends at a blank line, the next MSH, an envelope segment
// (FHS, BHS, BTS, FTS) or the end of the file. Lines end with CR, LF or CRLF (CR CR LF too, as
// a CRLF text written in text mode on Windows comes out); a UTF-8 BOM at the start of the file
// or of a line is skipped. Lines inside a message are kept whatever they hold, so that a stray
// line makes that message fail to parse instead of cutting it short silently. Never fails:
// what it could not place is in `skipped` and `problems`.
Batch split_messages(std::string_view file);

}  // namespace hisbridge::hl7
