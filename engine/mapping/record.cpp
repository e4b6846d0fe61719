#include "engine/mapping/record.hpp"

#include <algorithm>
#include <utility>

namespace hisbridge::mapping {

void grow_text(std::string& to, std::string_view from) {
  // Growing through resize() would fill the new bytes with zeros (a memset call) only for them
  // to be overwritten: append copies once, in place while the capacity allows.
  to.clear();
  to.append(from);
}

std::size_t RecordShape::index_of(std::string_view column) const {
  return static_cast<std::size_t>(std::find(columns.begin(), columns.end(), column) -
                                  columns.begin());
}

MappingOutput::MappingOutput(const MappingOutput& other)
    : records(other.records), events(other.events), warnings(other.warnings),
      program(other.program) {
  for (Record& record : records) {
    for (Value& value : record.values) {
      value.text = texts.keep(value.text);
    }
  }
  for (ClinicalEvent& event : events) {
    event.kind = texts.keep(event.kind);
    event.time = texts.keep(event.time);
    for (std::string_view* field : event_field_slots(event)) {
      *field = texts.keep(*field);
    }
  }
}

MappingOutput& MappingOutput::operator=(const MappingOutput& other) {
  if (this != &other) {
    MappingOutput copy(other);
    *this = std::move(copy);
  }
  return *this;
}

const Value& Record::get(std::string_view column) const {
  static const Value kNull;
  const std::size_t i = shape->index_of(column);
  return i < values.size() ? values[i] : kNull;
}

}  // namespace hisbridge::mapping
