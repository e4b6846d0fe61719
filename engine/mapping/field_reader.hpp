#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "engine/hl7/delimiters.hpp"
#include "engine/hl7/escape.hpp"
#include "engine/hl7/segment.hpp"
#include "engine/mapping/program.hpp"
#include "engine/mapping/record.hpp"
#include "engine/mapping/value_sink.hpp"

// A mapping's path read on the raw text of its field, inline: every value a row takes goes
// through here, so it is kept to a few word-wide steps (element_value.hpp reads the rest).
namespace hisbridge::mapping {

// The first `a` or `b` in [p, end), else end, eight bytes a step while they lie before
// `readable` (the end of the message's bytes, which `end` is within), then byte by byte.
// Out of line: PairFinder calls it only within sixteen bytes of the message's end, and inlined
// its constants were set up before every search.
[[gnu::noinline]] inline const char* find_either_by_words(const char* p, const char* end,
                                                          const char* readable, char a, char b) {
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

// The first of two bytes, sixteen bytes a step where SSE2 is there (every x86-64): a
// byte-by-byte loop was two fifths of the time a value took to read, eight bytes a step still a
// tenth of a mapping (a component of a time or a name is found past most of its field). Made
// once for the many parts a row reads with the same delimiters: the bytes broadcast to every
// lane cost as much as a short search.
class PairFinder {
 public:
  PairFinder() : PairFinder('^', '~') {}
  PairFinder(char a, char b)
      : a_(a), b_(b)
#if defined(__SSE2__)
        ,
        as_(_mm_set1_epi8(a)),
        bs_(_mm_set1_epi8(b))
#endif
  {
  }

  char second() const { return b_; }

  // The first `a` or `b` in [p, end), else end; `readable` as for find_either_by_words.
  const char* find(const char* p, const char* end, const char* readable) const {
#if defined(__SSE2__)
    while (end - p > 0) {
      if (readable - p < 16) {
        return find_either_by_words(p, end, readable, a_, b_);  // the message's last bytes
      }
      if (const unsigned found = mask(p, end); found != 0) {
        return p + std::countr_zero(found);
      }
      p += 16;
    }
    return end;
#else
    return find_either_by_words(p, end, readable, a_, b_);
#endif
  }

#if defined(__SSE2__)
  // Bit i set when p[i] is `a` or `b`, for the sixteen bytes from p that lie before `end`;
  // all sixteen must be readable.
  unsigned mask(const char* p, const char* end) const {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    auto found = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(bytes, as_), _mm_cmpeq_epi8(bytes, bs_))));
    const auto left = static_cast<std::size_t>(end - p);
    if (left < 16) {
      found &= (1U << left) - 1;  // bytes past `end` are not the part's
    }
    return found;
  }
#endif

 private:
  char a_;
  char b_;
#if defined(__SSE2__)
  __m128i as_;
  __m128i bs_;
#endif
};

inline const char* find_either(const char* p, const char* end, const char* readable, char a,
                               char b) {
  return PairFinder(a, b).find(p, end, readable);
}

// Calls on_separator(at) for each of the finder's bytes in [p, end), in order, then with
// `end`, until it returns true; `readable` as for find_either. Sixteen bytes a step where SSE2
// is there, each separator among them taken from the step's mask: a part past the first (a
// name's given name, a test's text, an identifier's type) costs no search of its own.
template <class OnSeparator>
[[gnu::always_inline]] inline void each_separator(const char* p, const char* end,
                                                  const char* readable, const PairFinder& finder,
                                                  OnSeparator&& on_separator) {
#if defined(__SSE2__)
  for (; end - p > 0 && readable - p >= 16; p += 16) {
    for (unsigned found = finder.mask(p, end); found != 0; found &= found - 1) {
      if (on_separator(p + std::countr_zero(found))) {
        return;
      }
    }
  }
  if (end - p <= 0) {
    on_separator(end);
    return;
  }
#endif
  for (;;) {  // the message's last bytes (or no SSE2): a search for each separator
    const char* const at = finder.find(p, end, readable);
    if (on_separator(at) || at == end) {
      return;
    }
    p = at + 1;
  }
}

// Part `number` of `raw` between the finder's first bytes, where the text ends at its second
// (`stop`: the repetition `raw` begins with ends there; it may also be a character `raw` cannot
// hold any more); false when there are fewer parts. Reads up to the end of the part, however
// long the rest of the field; `readable` as for find_either.
// Inlined everywhere: the compiler kept it out of line, and its calls cost the stock mapping 3%.
[[gnu::always_inline]] inline bool part_within(std::string_view& raw, const PairFinder& finder,
                                               std::size_t number, const char* readable) {
  const char stop = finder.second();
  const char* begin = raw.data();
  const char* const end = begin + raw.size();
  std::size_t n = 1;
  bool found = false;
  each_separator(begin, end, readable, finder, [&](const char* at) __attribute__((always_inline)) {
    if (at != end && *at != stop && n != number) {
      ++n;
      begin = at + 1;
      return false;
    }
    found = n == number;
    if (found) {
      raw = std::string_view(begin, static_cast<std::size_t>(at - begin));
    }
    return true;
  });
  return found;
}

inline bool part_within(std::string_view& raw, char delimiter, char stop, std::size_t number,
                        const char* readable) {
  return part_within(raw, PairFinder(delimiter, stop), number, readable);
}

// The `number`th part of `raw` between `delimiter`s, nothing when there are fewer.
inline std::optional<std::string_view> nth_part(std::string_view raw, char delimiter,
                                                std::size_t number) {
  std::size_t begin = 0;
  for (std::size_t n = 1; n < number; ++n) {
    const std::size_t next = raw.find(delimiter, begin);
    if (next == std::string_view::npos) {
      return std::nullopt;
    }
    begin = next + 1;
  }
  const std::size_t end = raw.find(delimiter, begin);
  return raw.substr(begin, end == std::string_view::npos ? end : end - begin);
}

// Narrows a field's raw text to the repetition (the first unless the path names one), then the
// component and sub-component, in one pass that stops at the end of the part; false when the
// field has fewer. A sub-component asked of a repetition is read from its first component.
inline bool narrow_raw(std::string_view& raw, const hl7::Path& p, const hl7::Delimiters& d,
                       const char* readable) {
  const std::size_t component = p.component != 0 ? p.component : (p.subcomponent != 0 ? 1 : 0);
  bool found = true;
  if (p.repetition > 1) {
    const std::optional<std::string_view> rep = nth_part(raw, d.repetition, p.repetition);
    found = rep.has_value();
    raw = rep.value_or(std::string_view());
    if (found && component != 0) {
      found = part_within(raw, d.component, d.repetition, component, readable);  // no `~` left
    }
  } else if (component != 0) {
    found = part_within(raw, d.component, d.repetition, component, readable);
  } else {
    found = part_within(raw, d.repetition, d.repetition, 1, readable);
  }
  if (found && p.subcomponent != 0) {
    found = part_within(raw, d.subcomponent, d.component, p.subcomponent, readable);  // no `^`
  }
  return found;
}

// Whether `a` and `b` hold the same bytes: up to 24 (a time with its offset) in word compares,
// fewer than 8 one by one, without a call (a row compares its time's text with the one
// remembered, an event its status with the condition's).
[[gnu::always_inline]] inline bool same_text(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) {
    return false;
  }
  const auto word = [](const char* p) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, sizeof w);
    return w;
  };
  if (n >= 8 && n <= 24) {
    const bool middle = n <= 16 || word(a.data() + 8) == word(b.data() + 8);
    return middle && word(a.data()) == word(b.data()) &&
           word(a.data() + n - 8) == word(b.data() + n - 8);
  }
  if (n < 8) {  // a status, a flag, a code: byte by byte
    for (std::size_t i = 0; i < n; ++i) {
      if (a[i] != b[i]) {
        return false;
      }
    }
    return true;
  }
  return std::memcmp(a.data(), b.data(), n) == 0;
}

// Whether `text` holds `c`: short texts (most values) byte by byte, without a call.
inline bool holds_byte(std::string_view text, char c) {
  if (text.size() > 16) {
    return std::memchr(text.data(), c, text.size()) != nullptr;
  }
  for (const char x : text) {
    if (x == c) {
      return true;
    }
  }
  return false;
}

// Whether a part's raw text is no value: empty, or `""` (HL7's explicit null).
inline bool is_null_text(std::string_view raw) {
  return raw.empty() || raw == "\"\"";
}

// `raw` (a part of the message's bytes) decoded into `out`; empty and `""` (HL7 null) give
// null. Text without escapes (nearly all, and all of a segment `may_escape` says has none) is
// its own decoded form: `out` views the output's copy of it.
inline void set_decoded(std::string_view raw, const hl7::Delimiters& d, bool may_escape,
                        ValueSink& sink, Value& out) {
  if (is_null_text(raw)) {
    out.set_null();
    return;
  }
  if (!may_escape || d.escape == '\0' || !holds_byte(raw, d.escape)) {
    out.set(Value::Type::text, sink.of_message(raw));
    return;
  }
  sink.set_decoded(raw, d, out);
}

// The repetition of `field` whose component `filter.component` is one of the filter's values
// (decoded, a missing component read as empty, as hl7::Element reads them); false when none is.
// One pass over the field with one finder of `^` and `~` (identifiers: CX-5 is past four
// separators, most of them next to each other); `readable` as for find_either.
inline bool pick_repetition(std::string_view& field, const RepetitionFilter& filter,
                            const hl7::Delimiters& d, const char* readable) {
  const std::size_t wanted = filter.component > 1 ? filter.component : 1;
  const char* const end = field.data() + field.size();
  const char* repetition = field.data();
  const char* key_begin = wanted == 1 ? repetition : nullptr;
  const char* key_end = nullptr;
  std::size_t component = 1;
  bool picked = false;
  const auto on_separator = [&](const char* at) __attribute__((always_inline)) {
    if (at != end && *at != d.repetition) {
      ++component;
      if (component == wanted) {
        key_begin = at + 1;
      } else if (component == wanted + 1) {
        key_end = at;
      }
      return false;
    }
    // The end of a repetition: its key compared (decoded when it holds an escape).
    std::string_view key;
    if (key_begin != nullptr) {
      key = std::string_view(key_begin,
                             static_cast<std::size_t>((key_end != nullptr ? key_end : at) - key_begin));
    }
    const bool escaped = d.escape != '\0' && holds_byte(key, d.escape);
    const std::string decoded = escaped ? hl7::decode_escapes(key, d) : std::string();
    const std::string_view compared = escaped ? std::string_view(decoded) : key;
    for (const std::string& value : filter.values) {
      if (value == compared) {
        field = std::string_view(repetition, static_cast<std::size_t>(at - repetition));
        picked = true;
        return true;
      }
    }
    repetition = at + 1;
    key_begin = wanted == 1 ? repetition : nullptr;
    key_end = nullptr;
    component = 1;
    return false;  // at `end` the scan stops anyway
  };
  each_separator(field.data(), end, readable, PairFinder(d.component, d.repetition), on_separator);
  return picked;
}

// A field narrowed to the repetition its filter picks, then to `get`'s component and
// sub-component (a sub-component alone is read from the first component, as narrow_raw reads
// it); false when there is no such part.
inline bool filtered_raw(std::string_view& raw, const Expr& e, const hl7::Delimiters& d,
                         const char* readable) {
  if (!pick_repetition(raw, e.filter, d, readable)) {
    return false;
  }
  const std::size_t component =
      e.get_component != 0 ? e.get_component : (e.get_subcomponent != 0 ? 1 : 0);
  if (component != 0) {
    const std::optional<std::string_view> part = nth_part(raw, d.component, component);
    if (!part) {
      return false;
    }
    raw = *part;
  }
  if (e.get_subcomponent != 0) {
    const std::optional<std::string_view> part = nth_part(raw, d.subcomponent, e.get_subcomponent);
    if (!part) {
      return false;
    }
    raw = *part;
  }
  return true;
}

// How read_raw reads a path expression (Expr::raw_read).
constexpr Expr::RawRead raw_read_of(const Expr& e) {
  const hl7::Path& p = e.path;
  if (p.field <= 2 && e.segment_key == segment_key("MSH")) {
    return Expr::RawRead::element;
  }
  if (e.has_filter) {
    return Expr::RawRead::filtered;
  }
  if (p.repetition == 0 && p.component == 0 && p.subcomponent == 0) {
    return Expr::RawRead::field;
  }
  if (p.repetition <= 1 && p.component != 0 && p.subcomponent == 0) {
    return Expr::RawRead::component;  // the first repetition's, as narrow_raw reads it
  }
  if (p.repetition <= 1 && p.subcomponent != 0) {
    return Expr::RawRead::subcomponent;  // as narrow_raw reads it
  }
  return Expr::RawRead::narrow;
}

// The raw text of what `e` names in `segment`, as e.raw_read says: the field narrowed to its
// repetition, component and sub-component (empty when there is no such part), undecoded; false
// for the paths read_raw leaves to element_value (below), with `raw` untouched. `readable` is the
// end of the message's bytes.
// Inlined by force: it is read_raw's body, and g++ left it out of line once a second caller
// came (a call per value read).
// The segment is given by its parts and delimiters (a Message's index has them without a
// Segment made).
[[gnu::always_inline]] inline bool narrowed_raw(const hl7::Segment::Parts& parts,
                                                const hl7::Delimiters& d, const Expr& e,
                                                const char* readable, std::string_view& raw) {
  const Expr::RawRead how = e.raw_read;
  if (how == Expr::RawRead::element) {
    return false;
  }
  const hl7::Path& p = e.path;
  std::string_view text = parts.text(e.part_index);
  if (text.data() == nullptr) {
    text = {};
  } else if (how == Expr::RawRead::filtered) {
    if (!filtered_raw(text, e, d, readable)) {
      text = {};
    }
  } else if (how == Expr::RawRead::component) {
    if (!part_within(text, d.component, d.repetition, p.component, readable)) {
      text = {};
    }
  } else if (how == Expr::RawRead::field) {
    if (d.repetition != '~' && text.find(d.repetition) != std::string_view::npos) {
      return false;  // the joined form needs each repetition decoded on its own
    }
  } else if (how == Expr::RawRead::subcomponent) {
    // narrow_raw's steps for the first repetition, inline (a department, a name's family).
    if (!part_within(text, d.component, d.repetition, p.component != 0 ? p.component : 1,
                     readable) ||
        !part_within(text, d.subcomponent, d.component, p.subcomponent, readable)) {
      text = {};
    }
  } else if (!narrow_raw(text, p, d, readable)) {
    text = {};
  }
  raw = text;
  return true;
}

[[gnu::always_inline]] inline bool narrowed_raw(const hl7::Segment& segment, const Expr& e,
                                                const char* readable, std::string_view& raw) {
  return narrowed_raw(segment.parts(), segment.delimiters(), e, readable, raw);
}

// What of a path expression a row reads for a whole field or a component of the field's first
// repetition (nearly every path a mapping reads), packed apart from the Expr, whose fields are
// spread over cache lines the row does not otherwise need.
struct PackedPath {
  std::uint32_t part = 0;       // Expr::part_index
  std::uint32_t component = 0;  // Expr::path.component
  Expr::RawRead how = Expr::RawRead::element;

  static PackedPath of(const Expr& e) {
    return {static_cast<std::uint32_t>(e.part_index), static_cast<std::uint32_t>(e.path.component),
            e.raw_read};
  }
};

// The finder of a segment's components within a repetition (packed_raw's `components`).
inline PairFinder component_finder(const hl7::Delimiters& d) {
  return {d.component, d.repetition};
}

// The raw text `p` names in a segment (its `parts`), as narrowed_raw gives it, for a whole
// field (whose repetitions are separated by `~`) or a component of the first repetition; false,
// with `text` to be ignored, for every other path. `components` is component_finder() of the
// segment's delimiters.
[[gnu::always_inline]] inline bool packed_raw(const hl7::Segment::Parts& parts,
                                              const PairFinder& components, PackedPath p,
                                              const char* readable, std::string_view& text) {
  text = parts.text(p.part);
  if (p.how == Expr::RawRead::component) {
    if (!part_within(text, components, p.component, readable)) {
      text = {};
    }
    return true;
  }
  const char repetition = components.second();
  return p.how == Expr::RawRead::field && (repetition == '~' || !holds_byte(text, repetition));
}

// Sets how read_raw reads the path expression `e` (raw_read, part_index), once its path and
// filter are known.
constexpr void set_raw_read(Expr& e) {
  e.raw_read = raw_read_of(e);
  const bool msh = e.segment_key == segment_key("MSH");
  // Field 0 names no field: an index past every part reads nothing, as field_text(0) does.
  e.part_index = e.path.field == 0 ? static_cast<std::size_t>(-1) : e.path.field - (msh ? 1 : 0);
}

// Reads what `e` names of `segment` into `out` on the field's raw text (narrowed_raw, then
// decoded): every path but those element_value reads through hl7::Element (MSH-1 and MSH-2, a
// whole field whose repetitions are not separated by `~`, an Expr not made by the loader), for
// which it returns false with `out` untouched.
// `may_escape` false says the segment holds no escape character.
inline bool read_raw(const hl7::Segment& segment, const Expr& e, bool may_escape,
                     const char* readable, ValueSink& sink, Value& out) {
  std::string_view raw;
  if (!narrowed_raw(segment, e, readable, raw)) {
    return false;
  }
  set_decoded(raw, segment.delimiters(), may_escape, sink, out);
  return true;
}

}  // namespace hisbridge::mapping
