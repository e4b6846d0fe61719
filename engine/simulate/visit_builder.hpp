#pragma once

#include "engine/simulate/hospital.hpp"
#include "engine/simulate/model.hpp"
#include "engine/simulate/numbering.hpp"
#include "engine/simulate/random.hpp"
#include "engine/simulate/simulation_options.hpp"

namespace hisbridge::simulate {

// Makes one visit and everything that happens in it: the patient, the orders the visit's
// department places, and the time of every step drawn from the delay profiles (delays.hpp),
// with the late, corrected and skewed ones at the options' rates. Draws from `random` in a
// fixed order, so the same seed builds the same visits.
class VisitBuilder {
 public:
  VisitBuilder(Random& random, Numbering& numbering, const SimulationOptions& options)
      : random_(random), numbering_(numbering), options_(options) {}

  Visit build(const Hospital& hospital, const Department& department, SimTime registered);

 private:
  Priority draw_priority(const Department& department);
  LabOrder lab_order(const Visit& visit, Priority priority, SimTime ordered);
  void lab_times(LabOrder& order);
  void lab_correction(LabOrder& order);
  RadOrder rad_order(const Visit& visit, Priority priority, SimTime ordered);
  void rad_times(RadOrder& order);

  Random& random_;
  Numbering& numbering_;
  const SimulationOptions& options_;
};

}  // namespace hisbridge::simulate
