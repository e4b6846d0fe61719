#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace hisbridge::store {

// How a stored `raw` column is encoded (SQLite's raw_format column).
enum class RawFormat : int {
  as_received = 0,  // the bytes exactly as received
  zstd = 1,         // one zstd frame holding them
};

// Compresses message bytes for the journal and restores them byte for byte. HL7 compresses
// about 2:1 at zstd's fastest levels (a 2 KiB ORU^R01 to ~950 bytes), which halves what every
// insert, status change and checkpoint writes. Holds zstd's contexts, reused from message to
// message: one RawCodec per thread.
class RawCodec {
 public:
  RawCodec();
  ~RawCodec();
  RawCodec(const RawCodec&) = delete;
  RawCodec& operator=(const RawCodec&) = delete;

  // The form to store `raw` in: its zstd frame at `level` (1 is fast, negative levels faster
  // still) in `scratch` when that saves at least an eighth, else `raw` itself (always so at
  // level 0). The view points into `raw` or `scratch`.
  std::string_view encode(std::string_view raw, int level, std::string& scratch,
                          RawFormat& format);

  // Restores what encode() stored into `out`; false when the bytes are not a valid frame of
  // at most max_bytes (a damaged row).
  bool decode(std::string_view stored, RawFormat format, std::string& out,
              std::size_t max_bytes = std::size_t{1} << 30);

 private:
  struct Contexts;
  std::unique_ptr<Contexts> contexts_;
};

}  // namespace hisbridge::store
