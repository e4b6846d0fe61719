#include "engine/simulate/outgoing.hpp"

#include <array>

namespace hisbridge::simulate {

std::string_view step_name(Step step) {
  static constexpr std::array<std::string_view, kStepCount> kNames{
      "registration",    "lab_order",     "lab_collected", "lab_received", "lab_preliminary",
      "lab_final",       "lab_corrected", "rad_order",     "rad_started",  "rad_completed",
      "rad_preliminary", "rad_final",     "rad_corrected"};
  return kNames[static_cast<std::size_t>(step)];
}

std::string_view destination_name(Destination destination) {
  return destination == Destination::lis ? "lis" : "ris";
}

}  // namespace hisbridge::simulate
