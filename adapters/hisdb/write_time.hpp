#pragma once

#include <cstdint>
#include <string>

namespace hisbridge::hisdb {

// `unix_us` (microseconds since the epoch, UTC) as ISO 8601 to the second with an explicit
// offset, `2026-11-29T07:12:03+00:00`: the `+00:00` form rather than `Z`, so updated_at reads
// like every other time in the staging schema, which all carry an offset.
std::string iso8601_utc(std::int64_t unix_us);

}  // namespace hisbridge::hisdb
