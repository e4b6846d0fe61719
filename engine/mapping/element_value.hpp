#pragma once

#include "engine/hl7/segment.hpp"
#include "engine/mapping/program.hpp"

namespace hisbridge::mapping {

// The decoded text an `hl7_path` expression reads from `segment` (the segment its path names):
// the field, narrowed by the path's repetition, component and sub-component, or by its
// repetition filter and `get`. Empty, absent and `""` (HL7 null) all give a null Value: for
// the HIS they mean "not known from this message". A whole repeating field gives every
// repetition, decoded, joined with `~` (stock-mapping.md: OBX-5). Written over `out`, whose
// string keeps its capacity; a null `out` has an empty text. `may_escape` false says the
// segment holds no escape character, so no value of it needs decoding. `message` is the whole
// message's text, which the segment is part of (read a word at a time up to its end).
void element_value(const hl7::Segment& segment, const Expr& e, bool may_escape,
                   std::string_view message, Value& out);

}  // namespace hisbridge::mapping
