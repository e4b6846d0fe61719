#pragma once

// The marks of one router batch as one byte string, for the timeline's inbox (the router
// hands a batch over in one row; the timeline worker records it later). The format is the
// engine's own and only ever read back by the same build or a later one:
//   "HBM1", then per mark: scope (one byte), at_us (8 bytes, little-endian, two's
//   complement), then subject, kind and the seven info fields, each a length (LEB128) and
//   its bytes.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/timeline/timeline_store.hpp"

namespace hisbridge::timeline {

// Appends the encoding of `marks` to `out`.
void encode_marks(std::span<const Mark> marks, std::string& out);

// Appends the marks `bytes` encode to `out`. On bytes that are not such an encoding
// (truncated, a length past the end, an unknown scope or header) returns false with the
// reason in `error` and leaves `out` as it was.
bool decode_marks(std::string_view bytes, std::vector<Mark>& out, std::string& error);

}  // namespace hisbridge::timeline
