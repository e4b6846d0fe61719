#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "adapters/xml130/error.hpp"

namespace hisbridge::xml130 {

// NGAY_KQ of table 4, the time the result was returned, is 12 digits: yyyymmddHHMM.
//
// Reads what the mappings produce, ISO 8601 extended form with an offset:
// `YYYY-MM-DDTHH:MM[:SS[.fff]]` followed by `Z`, `±HH:MM`, `±HHMM` or `±HH` (or nothing: the
// time is then taken as already local). A space may stand for the `T`. Twelve digits already
// in the table's form are checked and kept as they are.
//
// With `offset_minutes` set (420 = +07:00), the instant is first moved to that offset, so a
// source that sends UTC still gives Vietnamese wall-clock time; unset, the digits are the
// wall clock written in the value, whatever its offset. Seconds are dropped, not rounded:
// 08:15:59 is in minute 0815. A date without a time, or a field out of range, is an
// invalid_record error naming the value.
Xml130Result<std::string> to_ngay_kq(std::string_view iso, std::optional<int> offset_minutes);

}  // namespace hisbridge::xml130
