#include "engine/mapping/segment_groups.hpp"

#include <algorithm>

namespace hisbridge::mapping {

void find_groups(std::span<const std::uint32_t> keys, const GroupLevel& level,
                 std::size_t begin, std::size_t end, std::vector<SegmentGroup>& out) {
  out.clear();
  const auto id_of = [&](std::size_t number) { return keys[number - 1]; };
  const auto leads = [&](std::uint32_t key) {
    return std::find(level.leading_keys.begin(), level.leading_keys.end(), key) !=
           level.leading_keys.end();
  };
  std::size_t floor = begin;  // a leading run never reaches back into the previous group's head
  for (std::size_t n = begin; n < end; ++n) {
    if (id_of(n) != level.head_key) {
      continue;
    }
    std::size_t first = n;
    while (first > floor && leads(id_of(first - 1))) {
      --first;
    }
    if (!out.empty()) {
      out.back().end = first;
    }
    out.push_back({first, n, end});
    floor = n + 1;
  }
}

}  // namespace hisbridge::mapping
