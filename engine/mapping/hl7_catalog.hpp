#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hisbridge::mapping {

// How many fields a standard segment has at most in HL7 v2.3 to v2.8 (the largest of those
// versions), or 0 for a segment id the catalog does not know. Z-segments are site-defined:
// any field number is accepted for them (see is_site_segment).
std::size_t max_fields(std::string_view segment);
bool is_site_segment(std::string_view segment);
// The known segment id closest to `segment`, or empty: the "did you mean" of a typo.
std::string closest_segment(std::string_view segment);

}  // namespace hisbridge::mapping
