#pragma once

// A batch of messages as PostgreSQL binary arrays, one per column, so a whole batch goes into
// one INSERT ... SELECT FROM unnest(...) with its bytes sent as they are (no text escaping):
// PostgreSQL runs one statement per batch instead of one per message.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/store/store.hpp"

namespace hisbridge::store::pg {

class RowArrays {
 public:
  // The parameters, in the order of kInsertBatch's $1..$13.
  enum Column : std::size_t {
    kReceivedAt, kWindowStart, kCheck, kSource, kPeer, kControlId, kApplication, kFacility,
    kType, kPatient, kStatus, kError, kRaw, kColumns
  };
  // Header fields as cleaned for text columns, indexed like the text columns above
  // (kSource..kError, without kStatus which add() takes from the message).
  struct Text {
    std::string_view source, peer, control_id, application, facility, type, patient, error;
  };

  RowArrays();
  void clear();
  void add(const NewMessage& m, const Text& text, bool check, std::int64_t window_start);
  std::size_t rows() const { return rows_; }
  std::size_t raw_bytes() const { return raw_bytes_; }

  // Completes the array headers and fills values[0..kColumns) and lengths[0..kColumns); the
  // pointers stay valid until the next add() or clear().
  void parameters(const char** values, int* lengths);

 private:
  void element(Column c, std::string_view bytes);

  std::array<std::string, kColumns> arrays_;
  std::size_t rows_ = 0;
  std::size_t raw_bytes_ = 0;
};

}  // namespace hisbridge::store::pg
