#pragma once

#include <string>

#include "engine/mapping/program.hpp"

namespace hisbridge::mapping {

// Applies one step of a value's `then` list to `value` in place. Steps other than `default`
// and `map` leave a null value null. Returns false, with the reason in `error`, when the value
// cannot be transformed and the step says that is an error (a time that is not an HL7 time, a
// code missing from a lookup table, a text longer than allowed): the message's mapping fails
// rather than writing something the sender did not say.
// A text the step makes (a time, a re-cased code, a table's value) is kept in `store`.
bool apply_transform(const Transform& step, Value& value, const TimeZone& zone,
                     TextStore& store, std::string& error);

// Number of Unicode code points in UTF-8 text (what a length limit counts: a Vietnamese
// letter is one character, two or three bytes).
std::size_t code_points(std::string_view text);

}  // namespace hisbridge::mapping
