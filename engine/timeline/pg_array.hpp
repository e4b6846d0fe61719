#pragma once

// A one-dimensional PostgreSQL array in the binary wire format (array_send), so that a whole
// record() call's rows go into one statement as `unnest($1::text[], ...)` with their bytes
// sent as they are: ndim, has-nulls, element type, length, lower bound, then each element as
// a 4-byte length and its bytes.
#include <libpq-fe.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/store/pg_connection.hpp"

namespace hisbridge::timeline {

class PgArray {
 public:
  explicit PgArray(Oid element) : bytes_(kHeader, '\0') {
    put_int4(bytes_.data(), 1);
    put_int4(bytes_.data() + 8, element);
    put_int4(bytes_.data() + 16, 1);
  }
  void add(std::string_view element) {
    char length[4];
    put_int4(length, static_cast<std::uint32_t>(element.size()));
    bytes_.append(length, 4).append(element);
    put_int4(bytes_.data() + 12, ++count_);
  }
  void add(std::int64_t element) {
    char number[8];
    store::pg::put_int8(number, element);
    add(std::string_view(number, 8));
  }
  const char* data() const { return bytes_.data(); }
  int size() const { return static_cast<int>(bytes_.size()); }

 private:
  static constexpr std::size_t kHeader = 20;
  static void put_int4(char* out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      out[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
    }
  }

  std::string bytes_;
  std::uint32_t count_ = 0;
};

}  // namespace hisbridge::timeline
