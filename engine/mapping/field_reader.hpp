#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "engine/hl7/delimiters.hpp"
#include "engine/hl7/segment.hpp"
#include "engine/mapping/program.hpp"
#include "engine/mapping/record.hpp"

// The common read of a mapping's path, inline: a field, its first repetition or one component
// of it, copied as it is when the segment holds no escape character. Every value a row takes
// goes through here, so it is kept to a few word-wide steps (element_value.hpp has the rest).
namespace hisbridge::mapping {

// The first `a` or `b` in [p, end), else end. Looks at eight bytes a step while they lie
// before `readable` (the end of the message's bytes, which `end` is within): a byte-by-byte
// loop was two fifths of the time a value took to read.
inline const char* find_either(const char* p, const char* end, const char* readable, char a,
                               char b) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  const std::uint64_t as = kOnes * static_cast<unsigned char>(a);
  const std::uint64_t bs = kOnes * static_cast<unsigned char>(b);
  while (p < end) {
    if (readable - p < 8) {
      for (; p < end; ++p) {
        if (*p == a || *p == b) {
          return p;
        }
      }
      return end;
    }
    std::uint64_t word = 0;
    std::memcpy(&word, p, sizeof word);  // little-endian: the first byte is the lowest
    const std::uint64_t xa = word ^ as;
    const std::uint64_t xb = word ^ bs;
    // The high bit of each byte that was zero after the xor; a borrow may also mark a byte
    // above a marked one, never below, so the lowest mark is a real match.
    std::uint64_t found = ((xa - kOnes) & ~xa & kHighs) | ((xb - kOnes) & ~xb & kHighs);
    const auto left = static_cast<std::size_t>(end - p);
    if (left < 8) {
      found &= (std::uint64_t{1} << (left * 8)) - 1;  // bytes past `end` are not the part's
    }
    if (found != 0) {
      return p + std::countr_zero(found) / 8;
    }
    p += 8;
  }
  return end;
}

// Part `number` of `raw` between `delimiter`s, where the text ends at the first `stop` (the
// repetition `raw` begins with ends there; `stop` may also be a character `raw` cannot hold
// any more); false when there are fewer parts. Reads up to the end of the part, however long
// the rest of the field; `readable` as for find_either.
inline bool part_within(std::string_view& raw, char delimiter, char stop, std::size_t number,
                 const char* readable) {
  const char* p = raw.data();
  const char* const end = p + raw.size();
  const char* begin = p;
  for (std::size_t n = 1;; ++n) {
    const char* const at = find_either(p, end, readable, delimiter, stop);
    if (at == end || *at == stop || n == number) {
      if (n != number) {
        return false;
      }
      raw = std::string_view(begin, static_cast<std::size_t>(at - begin));
      return true;
    }
    begin = p = at + 1;
  }
}

// Reads what `e` names of `segment` into `out` for the paths it covers: no repetition filter,
// no sub-component, no repetition past the first, not MSH-1/MSH-2, text without escapes (or
// `may_escape` false: the segment has none). False, with `out` untouched, for the others.
// `readable` is the end of the message's bytes.
inline bool read_simple(const hl7::Segment& segment, const Expr& e, bool may_escape,
                        const char* readable, Value& out) {
  constexpr std::uint32_t kMsh = segment_key("MSH");
  const hl7::Path& p = e.path;
  if (e.has_filter || p.repetition > 1 || p.subcomponent != 0 ||
      (p.field <= 2 && e.segment_key == kMsh)) {
    return false;
  }
  std::string_view raw = segment.field_text(p.field);
  if (raw.data() == nullptr) {
    out.type = Value::Type::null;
    out.text.clear();
    return true;
  }
  const hl7::Delimiters& d = segment.delimiters();
  if (p.component != 0) {
    if (!part_within(raw, d.component, d.repetition, p.component, readable)) {
      raw = {};
    }
  } else if (p.repetition == 1) {
    part_within(raw, d.repetition, d.repetition, 1, readable);
  } else if (d.repetition != '~') {
    return false;  // a whole field is its repetitions joined with `~`
  }
  if (raw.empty() || (raw.size() == 2 && raw[0] == '"' && raw[1] == '"')) {
    out.type = Value::Type::null;
    out.text.clear();
    return true;
  }
  if (may_escape && d.escape != '\0' && std::memchr(raw.data(), d.escape, raw.size()) != nullptr) {
    return false;  // decoded by element_value
  }
  out.set(Value::Type::text, raw);
  return true;
}

}  // namespace hisbridge::mapping
