#include "engine/hl7/message_parser.hpp"

#include <cstdint>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hisbridge::hl7 {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool is_terminator(char c) { return c == '\r' || c == '\n'; }
bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_segment_id_char(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

bool only_blanks(std::string_view s) {
  for (char c : s) {
    if (!is_blank(c)) {
      return false;
    }
  }
  return true;
}

// Calls on_hit(offset, byte) for every field separator, CR and LF in `bytes`, in order.
// Sixteen bytes at a time where SSE2 is there (every x86-64): most bytes of a message are
// field text, and this loop is what makes a full parse cost little more than reading it.
template <class OnHit>
void for_each_special(std::string_view bytes, char fs, OnHit&& on_hit) {
  const char* data = bytes.data();
  const std::size_t n = bytes.size();
  std::size_t pos = 0;
#if defined(__SSE2__)
  const __m128i v_fs = _mm_set1_epi8(fs);
  const __m128i v_cr = _mm_set1_epi8('\r');
  const __m128i v_lf = _mm_set1_epi8('\n');
  for (; pos + 16 <= n; pos += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + pos));
    const __m128i hits = _mm_or_si128(_mm_cmpeq_epi8(v, v_fs),
                                      _mm_or_si128(_mm_cmpeq_epi8(v, v_cr), _mm_cmpeq_epi8(v, v_lf)));
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(hits));
    while (mask != 0) {
      const auto bit = static_cast<std::size_t>(__builtin_ctz(mask));
      on_hit(pos + bit, data[pos + bit]);
      mask &= mask - 1;
    }
  }
#endif
  for (; pos < n; ++pos) {
    const char c = data[pos];
    if (c == fs || is_terminator(c)) {
      on_hit(pos, c);
    }
  }
}

}  // namespace

ParseError MessageParser::error(Error code, std::size_t offset, std::string detail) const {
  ParseError e;
  e.code = code;
  e.offset = offset;
  e.segment = out_.segments_.size();
  e.detail = std::move(detail);
  return e;
}

std::optional<ParseError> MessageParser::run() {
  if (bytes_.starts_with(kUtf8Bom)) {
    bytes_.remove_prefix(kUtf8Bom.size());
  }
  // Leading blank lines are noise some senders put before MSH.
  std::size_t start = 0;
  while (start < bytes_.size() && (is_terminator(bytes_[start]) || is_blank(bytes_[start]))) {
    ++start;
  }
  bytes_.remove_prefix(start);
  if (bytes_.empty()) {
    return error(Error::empty_input, 0, "no segments");
  }
  const std::size_t limit =
      std::min<std::size_t>(options_.max_message_bytes, std::numeric_limits<std::uint32_t>::max());
  if (bytes_.size() > limit) {
    return error(Error::too_large, limit,
                 std::to_string(bytes_.size()) + " bytes, limit " + std::to_string(limit));
  }
  if (auto e = read_delimiters()) {
    return e;
  }
  out_.raw_ = bytes_;
  return scan();
}

std::optional<ParseError> MessageParser::read_delimiters() {
  if (!bytes_.starts_with("MSH")) {
    const std::string_view head = bytes_.substr(0, 3);
    if (head == "FHS" || head == "BHS") {
      return error(Error::missing_msh, 0, "this is a batch (FHS/BHS): split it into messages");
    }
    return error(Error::missing_msh, 0, "first segment is '" + std::string(head) + "'");
  }
  if (bytes_.size() < 5) {
    return error(Error::bad_delimiters, bytes_.size(), "MSH ends before MSH-2");
  }
  Delimiters d;
  d.field = bytes_[3];
  if (is_alnum(d.field) || is_terminator(d.field) || is_blank(d.field) || d.field == '\0') {
    return error(Error::bad_delimiters, 3, "MSH-1 must be a punctuation character");
  }
  std::size_t end = 4;
  while (end < bytes_.size() && bytes_[end] != d.field && !is_terminator(bytes_[end])) {
    ++end;
  }
  const std::string_view chars = bytes_.substr(4, end - 4);
  if (chars.empty() || chars.size() > 5) {
    return error(Error::bad_delimiters, 4,
                 "MSH-2 must hold 1 to 5 encoding characters, found " +
                     std::to_string(chars.size()));
  }
  char* slots[] = {&d.component, &d.repetition, &d.escape, &d.subcomponent, &d.truncation};
  for (char* slot : slots) {
    *slot = '\0';
  }
  for (std::size_t i = 0; i < chars.size(); ++i) {
    const char c = chars[i];
    if (is_alnum(c) || is_blank(c) || chars.find(c) != i) {
      return error(Error::bad_delimiters, 4 + i,
                   "encoding character '" + std::string(1, c) + "' is a letter, digit, space or repeated");
    }
    *slots[i] = c;
  }
  out_.delimiters_ = d;
  return std::nullopt;
}

std::optional<ParseError> MessageParser::begin_segment(std::size_t at) {
  if (out_.segments_.size() >= options_.max_segments) {
    return error(Error::too_many_segments, at,
                 "limit " + std::to_string(options_.max_segments) + " segments");
  }
  segment_begin_ = at;
  segment_first_part_ = out_.parts_.size();
  out_.parts_.push_back(static_cast<std::uint32_t>(at));
  return std::nullopt;
}

std::optional<ParseError> MessageParser::end_segment(std::size_t at) {
  const std::string_view text = bytes_.substr(segment_begin_, at - segment_begin_);
  if (only_blanks(text)) {
    // A line of spaces between segments is noise; it stays in the previous terminator.
    out_.parts_.resize(segment_first_part_);
    return std::nullopt;
  }
  const auto part_count = out_.parts_.size() - segment_first_part_;
  const std::size_t id_end = part_count > 1 ? out_.parts_[segment_first_part_ + 1] - 1 : at;
  const std::string_view id = bytes_.substr(segment_begin_, id_end - segment_begin_);
  if (id.size() != 3 || !is_segment_id_char(id[0]) || !is_segment_id_char(id[1]) ||
      !is_segment_id_char(id[2])) {
    auto e = error(Error::bad_segment_id, segment_begin_,
                   "'" + std::string(id.substr(0, 20)) + "' is not three upper-case letters or digits");
    e.segment = out_.segments_.size() + 1;
    return e;
  }
  out_.segments_.push_back({static_cast<std::uint32_t>(segment_begin_),
                            static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(at),
                            static_cast<std::uint32_t>(segment_first_part_),
                            static_cast<std::uint32_t>(part_count)});
  // Where a part after the last would begin, as if a separator stood at the segment's end: the
  // last part ends one byte before it, as every other part does (Segment::Parts reads it).
  out_.parts_.push_back(static_cast<std::uint32_t>(at + 1));
  return std::nullopt;
}

std::optional<ParseError> MessageParser::scan() {
  const std::size_t n = bytes_.size();
  // Where the current terminator run ended; npos while inside a segment.
  constexpr std::size_t kInSegment = std::string_view::npos;
  std::size_t after_terminator = kInSegment;
  std::optional<ParseError> failure;
  out_.segments_.reserve(32);
  out_.parts_.reserve(n / 8 + 32);  // parts mostly hold eight bytes or more; an end mark per segment
  begin_segment(0);

  for_each_special(bytes_, out_.delimiters_.field, [&](std::size_t at, char c) {
    if (failure) {
      return;
    }
    if (after_terminator != kInSegment) {
      if (at == after_terminator && is_terminator(c)) {
        after_terminator = at + 1;  // CRLF, or a blank line
        return;
      }
      failure = begin_segment(after_terminator);
      after_terminator = kInSegment;
      if (failure) {
        return;
      }
    }
    if (c == out_.delimiters_.field) {
      out_.parts_.push_back(static_cast<std::uint32_t>(at + 1));
      return;
    }
    failure = end_segment(at);
    after_terminator = at + 1;
  });
  if (failure) {
    return failure;
  }
  if (after_terminator == kInSegment) {
    if (auto e = end_segment(n)) {
      return e;
    }
  } else if (after_terminator < n) {
    if (auto e = begin_segment(after_terminator)) {
      return e;
    }
    if (auto e = end_segment(n)) {
      return e;
    }
  }
  auto& segments = out_.segments_;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    segments[i].next = i + 1 < segments.size() ? segments[i + 1].begin
                                               : static_cast<std::uint32_t>(n);
  }
  return std::nullopt;
}

}  // namespace hisbridge::hl7
