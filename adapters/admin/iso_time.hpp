#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/mapping/time_zone.hpp"

namespace hisbridge::admin {

// Times in the admin API: ISO 8601 with the offset of the engine's time zone, which is how
// hospital staff read them (`2026-03-05T08:15:00.123+07:00`, milliseconds shown).
std::string format_iso(std::int64_t unix_us, const mapping::TimeZone& zone);

// A time as an admin types it in a query, as microseconds since the Unix epoch (UTC):
//   2026-03-05                      midnight in `zone`
//   2026-03-05T08:15[:00[.123456]]  a wall-clock time in `zone` (also with a space for `T`)
//   ...Z, ...+07:00, ...+0700, ...+07   with its own offset
// A `+` that became a space (form encoding of an unescaped `+`) is read as `+`. nullopt when the
// text is not one of these or names a day or time that does not exist.
std::optional<std::int64_t> parse_iso(std::string_view text, const mapping::TimeZone& zone);

}  // namespace hisbridge::admin
