#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "engine/simulate/hospital.hpp"
#include "engine/simulate/random.hpp"
#include "engine/simulate/sim_time.hpp"

namespace hisbridge::simulate {

// One registration: who comes where, when.
struct Arrival {
  SimTime at = 0;
  const Hospital* hospital = nullptr;
  const Department* department = nullptr;
};

// The registrations of the local day starting at `midnight` at every hospital, `per_hospital`
// each, in time order. The department is drawn by its share and the hour from its kind's
// profile: the outpatient clinic fills from 7 to 11 and again after lunch, the emergency
// department takes patients all night with an evening peak, wards admit in working hours.
std::vector<Arrival> day_arrivals(Random& random, std::span<const Hospital> hospitals,
                                  SimTime midnight, std::size_t per_hospital);

// The relative number of registrations in each local hour for a visit class (O, E, I).
std::span<const double> hourly_profile(char visit_class);

}  // namespace hisbridge::simulate
