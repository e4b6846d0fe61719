// The query dimensions of timeline_store.hpp: their names in the admin API and config, and
// which field of a stored interval each one reads.
#include "engine/timeline/timeline_store.hpp"

namespace hisbridge::timeline {

std::string_view to_string(Dimension dimension) {
  switch (dimension) {
    case Dimension::department: return "department";
    case Dimension::service_code: return "service_code";
    case Dimension::modality: return "modality";
    case Dimension::priority: return "priority";
  }
  return "department";
}

std::optional<Dimension> dimension_from_string(std::string_view text) {
  for (const Dimension d : {Dimension::department, Dimension::service_code, Dimension::modality,
                            Dimension::priority}) {
    if (text == to_string(d)) {
      return d;
    }
  }
  return std::nullopt;
}

const std::string& IntervalRow::get(Dimension dimension) const {
  switch (dimension) {
    case Dimension::department: return department;
    case Dimension::service_code: return service_code;
    case Dimension::modality: return modality;
    case Dimension::priority: return priority;
  }
  return department;
}

}  // namespace hisbridge::timeline
