#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/mapping/program.hpp"

namespace hisbridge::mapping {

// One group of a `for_each` level over a message's segments, by 1-based segment numbers:
// [begin, end) holds the leading segments, the head and the members after it.
struct SegmentGroup {
  std::size_t begin = 0;
  std::size_t head = 0;
  std::size_t end = 0;

  // Whether the group is its head alone (an OBX without NTE): it holds no segment another path
  // could find in it.
  bool head_alone() const { return begin == head && end == head + 1; }
};

// The groups of `level` within the segments [begin, end) whose ids, as segment_key()s, are
// `keys` (keys[0] is segment 1). A group runs from its leading segments (those of `level.leading` directly
// before the head) up to the next group's first segment or `end`. Segments before the first
// group belong to none.
void find_groups(std::span<const std::uint32_t> keys, const GroupLevel& level,
                 std::size_t begin, std::size_t end, std::vector<SegmentGroup>& out);

}  // namespace hisbridge::mapping
