#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/hl7/delimiters.hpp"
#include "engine/hl7/element.hpp"
#include "engine/hl7/error.hpp"
#include "engine/hl7/path.hpp"
#include "engine/hl7/segment.hpp"

namespace hisbridge::hl7 {

struct ParseOptions {
  std::size_t max_message_bytes = 16u << 20;  // 16 MiB; at most 4 GiB (offsets are 32-bit)
  std::size_t max_segments = 100'000;
};

// What an ACK and the message journal need from MSH, decoded.
struct MessageHeader {
  std::string sending_application;    // MSH-3 (HD-1)
  std::string sending_facility;       // MSH-4 (HD-1)
  std::string receiving_application;  // MSH-5 (HD-1)
  std::string receiving_facility;     // MSH-6 (HD-1)
  std::string timestamp;              // MSH-7
  std::string message_code;           // MSH-9.1, e.g. ORU
  std::string trigger_event;          // MSH-9.2, e.g. R01
  std::string message_structure;      // MSH-9.3, e.g. ORU_R01
  std::string control_id;             // MSH-10
  std::string processing_id;          // MSH-11.1
  std::string version;                // MSH-12.1
  std::string accept_ack_type;        // MSH-15
  std::string application_ack_type;   // MSH-16
  std::string charset;                // MSH-18, first repetition
};

// One segment and the segments that belong to it: an OBR with its OBX, NTE and SPM.
struct SegmentGroup {
  Segment head;
  std::vector<Segment> members;

  std::optional<Segment> find(std::string_view id, std::size_t occurrence = 1) const;
  std::vector<Segment> all(std::string_view id) const;
};

// One HL7 v2 message in ER7 (pipe) encoding, parsed without copying: an index of where each
// segment and field begins over the received bytes. Components, repetitions and escapes are
// only looked at when a value is read.
//
// Accepts CR (the standard), LF or CRLF between segments, skips a UTF-8 BOM and blank lines,
// and takes its delimiters from MSH-1/MSH-2, whatever the sender chose. Character sets are
// not touched here: `decode()` in charset.hpp transcodes to UTF-8 first.
class Message {
 public:
  // Parses `bytes` in place; they must outlive the Message and every view taken from it.
  static ParseResult<Message> parse(std::string_view bytes, const ParseOptions& options = {});
  // Parses bytes the Message keeps; views stay valid for as long as the Message (or a copy).
  static ParseResult<Message> parse_owned(std::string bytes, const ParseOptions& options = {});

  // The message bytes (after a skipped BOM), exactly as received.
  std::string_view raw() const { return raw_; }
  const Delimiters& delimiters() const { return delimiters_; }

  std::size_t segment_count() const { return segments_.size(); }
  // 1-based; an out-of-range number gives an empty Segment.
  Segment segment(std::size_t number) const;
  // The id of segment `number` (1-based, in range) as segment(number).id() gives it, without
  // making the Segment.
  std::string_view segment_id(std::size_t number) const {
    const SegmentIndex& s = segments_[number - 1];
    return raw_.substr(s.begin, std::min<std::size_t>(3, s.end - s.begin));
  }
  // The text and the parts of segment `number` (1-based, in range) as segment(number).raw() and
  // .parts() give them, without making the Segment (for a reader that takes a few parts of many
  // segments).
  std::string_view segment_text(std::size_t number) const {
    const SegmentIndex& s = segments_[number - 1];
    return raw_.substr(s.begin, s.end - s.begin);
  }
  Segment::Parts segment_parts(std::size_t number) const {
    const SegmentIndex& s = segments_[number - 1];
    return {raw_.data(), parts_.data() + s.first_part, s.part_count};
  }
  std::optional<Segment> find(std::string_view id, std::size_t occurrence = 1) const;
  std::vector<Segment> all(std::string_view id) const;

  // Every `head` segment with the segments after it whose ids are in `members`, up to the next
  // `head` or the first segment that is neither.
  std::vector<SegmentGroup> groups(std::string_view head,
                                   std::span<const std::string_view> members) const;

  // The element at `path`; an absent one when the message does not reach that far.
  Element get(const Path& path) const;
  // Same with the path in text; an invalid path gives an absent element (parse it with
  // Path::parse to learn why).
  Element get(std::string_view path) const;

  MessageHeader header() const;

  // Writes the message back from its segments and their terminators: the same bytes.
  std::string to_er7() const;

 private:
  struct SegmentIndex {
    std::uint32_t begin;       // first byte of the id
    std::uint32_t end;         // one past the last byte before the terminator
    std::uint32_t next;        // first byte of the next segment (end of terminator)
    std::uint32_t first_part;  // index into parts_
    std::uint32_t part_count;
  };
  friend class MessageParser;

  Segment make_segment(std::size_t index) const;

  std::shared_ptr<const std::string> storage_;  // set when the Message owns its bytes
  std::string_view raw_;
  Delimiters delimiters_;
  std::vector<SegmentIndex> segments_;
  // Per segment, where each of its parts begins, then its end mark: one past its last byte.
  std::vector<std::uint32_t> parts_;
};

}  // namespace hisbridge::hl7
