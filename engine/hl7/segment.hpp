#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "engine/hl7/delimiters.hpp"
#include "engine/hl7/element.hpp"

namespace hisbridge::hl7 {

// A view of one segment of a parsed Message. Field numbers are the spec's: in MSH, field 1 is
// the field separator and field 2 the encoding characters, both returned as literals (never
// split into components).
class Segment {
 public:
  Segment() = default;

  std::string_view id() const { return raw_.substr(0, 3); }
  // 1-based position in the message.
  std::size_t number() const { return number_; }
  // The highest field number the sender wrote (trailing empty fields included).
  std::size_t field_count() const;
  Element field(std::size_t number) const;
  // The raw text of field `number` as field(number).raw() gives it, without making an Element
  // (for readers that take many fields: no Element handed back through memory per read).
  // data() is null when the sender did not write that far. Not for MSH-1 and MSH-2, which are
  // literals: field() reads those.
  std::string_view field_text(std::size_t number) const {
    // MSH compared byte by byte: this runs once per field read.
    const bool msh = raw_.size() >= 3 && raw_[0] == 'M' && raw_[1] == 'S' && raw_[2] == 'H';
    return number == 0 ? std::string_view() : part_text(msh ? number - 1 : number);
  }
  // The same by the index of the part: field n is part n, but part n - 1 in MSH (whose field 1
  // is the separator itself). For readers that know which segment they read.
  std::string_view part_text(std::size_t index) const { return parts().text(index); }
  // The parts as a reader that takes many of one segment holds them: parts().text(i) is
  // part_text(i), with the segment's offsets and ends worked out once.
  class Parts {
   public:
    std::string_view text(std::size_t index) const {
      if (index >= count_) {
        return {};
      }
      // offsets_[count_] is where a part after the last would begin (the parser's end mark), so
      // the last part needs no case of its own.
      const std::uint32_t begin = offsets_[index];
      return {origin_ + begin, offsets_[index + 1] - begin - 1};
    }

   private:
    friend class Segment;
    friend class Message;
    Parts(const char* origin, const std::uint32_t* offsets, std::size_t count)
        : origin_(origin), offsets_(offsets), count_(count) {}
    const char* origin_;  // the message's first byte, where the offsets count from
    const std::uint32_t* offsets_;
    std::size_t count_;
  };
  Parts parts() const { return {raw_.data() - base_, parts_.data(), parts_.size()}; }
  const Delimiters& delimiters() const { return delimiters_; }

  // The segment text without its terminator.
  std::string_view raw() const { return raw_; }
  // What followed the segment in the input: CR, LF, CRLF, blank lines, or nothing at the end.
  std::string_view terminator() const { return terminator_; }
  bool is_msh() const { return id() == "MSH"; }

 private:
  friend class Message;
  Segment(std::string_view raw, std::string_view terminator, std::span<const std::uint32_t> parts,
          std::size_t base, const Delimiters& d, std::size_t number)
      : raw_(raw), terminator_(terminator), parts_(parts), base_(base), delimiters_(d),
        number_(number) {}

  Element part(std::size_t index) const;

  std::string_view raw_;
  std::string_view terminator_;
  // Offsets (in the message) where each part begins; one more follows the span, where a part
  // after the last would begin (one past the segment's end).
  std::span<const std::uint32_t> parts_;
  std::size_t base_ = 0;                   // offset of raw_ in the message
  Delimiters delimiters_;
  std::size_t number_ = 0;
};

}  // namespace hisbridge::hl7
