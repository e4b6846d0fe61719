#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/timeline/mark_codec.hpp"

namespace {

using hisbridge::timeline::Mark;

bool same(const Mark& a, const Mark& b) {
  return a.scope == b.scope && a.at_us == b.at_us && a.subject == b.subject &&
         a.kind == b.kind && a.info == b.info;
}

bool same(const std::vector<Mark>& a, const std::vector<Mark>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (!same(a[k], b[k])) {
      return false;
    }
  }
  return true;
}

}  // namespace

// Inbox rows are read back after a restart, from a database a crash or an operator may have
// damaged: decoding any bytes must be safe, refuse without touching the output, and what it
// accepts must survive being written again.
//
// The decoder reads lengths with more LEB128 groups than needed (0x80 0x00 is a length of 0),
// while the encoder always writes the shortest form, so encoding the decoded marks does not
// always give the input back. What holds, and is checked here: re-encoding decodes to the same
// marks and is never longer than the input; and since a padded length only adds bytes, a
// re-encoding as long as the input is the input (every length was already the shortest).
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Mark kept;
  kept.subject = "kept";
  kept.kind = "registered";
  const std::vector<Mark> before = {kept};

  std::vector<Mark> out = before;
  std::string error;
  if (!hisbridge::timeline::decode_marks(bytes, out, error)) {
    if (error.empty() || !same(out, before)) {
      __builtin_trap();
    }
    return 0;
  }
  if (out.empty() || !same(out.front(), kept)) {
    __builtin_trap();
  }
  const std::vector<Mark> decoded(out.begin() + 1, out.end());

  std::string again;
  hisbridge::timeline::encode_marks(decoded, again);
  if (again.size() > bytes.size() || (again.size() == bytes.size() && again != bytes)) {
    __builtin_trap();
  }
  std::vector<Mark> redecoded;
  if (!hisbridge::timeline::decode_marks(again, redecoded, error) || !same(redecoded, decoded)) {
    __builtin_trap();
  }
  return 0;
}
