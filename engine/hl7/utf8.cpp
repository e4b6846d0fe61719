#include "engine/hl7/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace hisbridge::hl7 {
namespace {

constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

bool is_continuation(unsigned char c) { return (c & 0xC0U) == 0x80U; }

// The length of the well-formed sequence that starts at `p` (lead byte >= 0x80), or 0 when it
// is not one. The ranges are RFC 3629 §4's table: the second byte's range depends on the lead
// byte, which is what rules out overlong forms, surrogates and code points above U+10FFFF.
std::size_t sequence_length(const unsigned char* p, std::size_t left) {
  const unsigned char lead = p[0];
  std::size_t length = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) {
      second_min = 0xA0;
    } else if (lead == 0xED) {
      second_max = 0x9F;
    }
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) {
      second_min = 0x90;
    } else if (lead == 0xF4) {
      second_max = 0x8F;
    }
  } else {
    return 0;  // a continuation byte without a lead, C0, C1 or F5..FF
  }
  if (left < length || p[1] < second_min || p[1] > second_max) {
    return 0;
  }
  for (std::size_t i = 2; i < length; ++i) {
    if (!is_continuation(p[i])) {
      return 0;
    }
  }
  return length;
}

}  // namespace

std::size_t find_invalid_utf8(std::string_view text) noexcept {
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t pos = 0;
  while (pos < n) {
    // Sixteen ASCII bytes at a time: memcpy is how C++ reads unaligned words without UB, and
    // compilers turn it into plain loads.
    if (pos + 16 <= n) {
      std::uint64_t a = 0;
      std::uint64_t b = 0;
      std::memcpy(&a, data + pos, sizeof a);
      std::memcpy(&b, data + pos + 8, sizeof b);
      if (((a | b) & kHighBits) == 0) {
        pos += 16;
        continue;
      }
    }
    // A block with non-ASCII text (Vietnamese is most of it): byte by byte to its end, then
    // try whole blocks again.
    const std::size_t stop = pos + 16 < n ? pos + 16 : n;
    while (pos < stop) {
      if (data[pos] < 0x80) {
        ++pos;
        continue;
      }
      const std::size_t length = sequence_length(data + pos, n - pos);
      if (length == 0) {
        return pos;
      }
      pos += length;
    }
  }
  return std::string_view::npos;
}

}  // namespace hisbridge::hl7
