#pragma once

#include "engine/mapping/program.hpp"

namespace hisbridge::mapping {

// Fills every Define's `depends_on_segments_only` and `segments` (program.hpp). Call once the
// program is loaded without errors (definitions that use each other in a loop are refused
// before).
void analyse_defines(Program& program);

}  // namespace hisbridge::mapping
