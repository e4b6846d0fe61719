#include "engine/mapping/record.hpp"

#include <algorithm>

namespace hisbridge::mapping {

std::size_t RecordShape::index_of(std::string_view column) const {
  return static_cast<std::size_t>(std::find(columns.begin(), columns.end(), column) -
                                  columns.begin());
}

const Value& Record::get(std::string_view column) const {
  static const Value kNull;
  const std::size_t i = shape->index_of(column);
  return i < values.size() ? values[i] : kNull;
}

}  // namespace hisbridge::mapping
