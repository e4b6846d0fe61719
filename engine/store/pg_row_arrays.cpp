#include "engine/store/pg_row_arrays.hpp"

#include "engine/store/pg_connection.hpp"

namespace hisbridge::store::pg {
namespace {

// Binary array layout (array_send): ndim, has-nulls flag, element type, then per dimension
// its length and lower bound; then each element as a 4-byte length and its bytes.
constexpr std::size_t kHeaderBytes = 20;
constexpr std::size_t kLengthAt = 12;

void put_int4(char* out, std::uint32_t v) {
  out[0] = static_cast<char>(v >> 24);
  out[1] = static_cast<char>((v >> 16) & 0xff);
  out[2] = static_cast<char>((v >> 8) & 0xff);
  out[3] = static_cast<char>(v & 0xff);
}

Oid element_type(std::size_t column) {
  switch (column) {
    case RowArrays::kReceivedAt:
    case RowArrays::kWindowStart:
      return kInt8;
    case RowArrays::kCheck:
      return kBool;
    case RowArrays::kRaw:
      return kBytea;
    default:
      return kText;
  }
}

}  // namespace

RowArrays::RowArrays() { clear(); }

void RowArrays::clear() {
  for (std::size_t c = 0; c < kColumns; ++c) {
    std::string& a = arrays_[c];
    a.assign(kHeaderBytes, '\0');
    put_int4(a.data(), 1);                  // one dimension
    put_int4(a.data() + 4, 0);              // no nulls
    put_int4(a.data() + 8, element_type(c));
    put_int4(a.data() + 16, 1);             // lower bound
  }
  rows_ = 0;
  raw_bytes_ = 0;
}

void RowArrays::element(Column c, std::string_view bytes) {
  std::string& a = arrays_[c];
  char length[4];
  put_int4(length, static_cast<std::uint32_t>(bytes.size()));
  a.append(length, 4).append(bytes);
}

void RowArrays::add(const NewMessage& m, const Text& t, bool check,
                    std::int64_t window_start) {
  char number[8];
  put_int8(number, m.received_at_us);
  element(kReceivedAt, {number, 8});
  put_int8(number, window_start);
  element(kWindowStart, {number, 8});
  element(kCheck, check ? std::string_view("\1", 1) : std::string_view("\0", 1));
  element(kSource, t.source);
  element(kPeer, t.peer);
  element(kControlId, t.control_id);
  element(kApplication, t.application);
  element(kFacility, t.facility);
  element(kType, t.type);
  element(kPatient, t.patient);
  element(kStatus, to_string(m.status));
  element(kError, t.error);
  element(kRaw, m.raw);
  ++rows_;
  raw_bytes_ += m.raw.size();
}

void RowArrays::parameters(const char** values, int* lengths) {
  for (std::size_t c = 0; c < kColumns; ++c) {
    put_int4(arrays_[c].data() + kLengthAt, static_cast<std::uint32_t>(rows_));
    values[c] = arrays_[c].data();
    lengths[c] = static_cast<int>(arrays_[c].size());
  }
}

}  // namespace hisbridge::store::pg
