#pragma once

#include "engine/hl7/segment.hpp"
#include "engine/mapping/program.hpp"
#include "engine/mapping/value_sink.hpp"

namespace hisbridge::mapping {

// The decoded text an `hl7_path` expression reads from `segment` (the segment its path names):
// the field, narrowed by the path's repetition, component and sub-component, or by its
// repetition filter and `get`. Empty, absent and `""` (HL7 null) all give a null Value: for
// the HIS they mean "not known from this message". A whole repeating field gives every
// repetition, decoded, joined with `~` (stock-mapping.md: OBX-5). Written over `out`, whose
// string keeps its capacity; a null `out` has an empty text.
//
// Reads any path, through hl7::Element. read_raw (field_reader.hpp) reads nearly every path
// faster, inline, on the field's raw text, and leaves this the rest: MSH-1 and MSH-2, a whole
// field whose repetitions are not separated by `~`, and any path of an Expr the loader did not
// make (whose raw_read says `element`). The two agree on every path and filter
// (field_reader_test).
void element_value_by_element(const hl7::Segment& segment, const Expr& e, ValueSink& sink,
                              Value& out);

}  // namespace hisbridge::mapping
