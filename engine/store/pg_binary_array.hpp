#pragma once

#include <libpq-fe.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hisbridge::store::pg {

// A one-dimensional array in the binary wire format (array_send): ndim, has-nulls, element
// type, length, lower bound, then each element as a 4-byte length and its bytes.
class BinaryArray {
 public:
  explicit BinaryArray(Oid element) : bytes_(20, '\0') {
    put_int4(0, 1);
    put_int4(8, element);
    put_int4(16, 1);
  }
  void add(std::string_view element) {
    char length[4];
    encode_int4(length, static_cast<std::uint32_t>(element.size()));
    bytes_.append(length, 4).append(element);
    put_int4(12, ++count_);
  }
  const char* data() const { return bytes_.data(); }
  int size() const { return static_cast<int>(bytes_.size()); }

 private:
  static void encode_int4(char* out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      out[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
    }
  }
  void put_int4(std::size_t at, std::uint32_t v) { encode_int4(bytes_.data() + at, v); }

  std::string bytes_;
  std::uint32_t count_ = 0;
};

}  // namespace hisbridge::store::pg
