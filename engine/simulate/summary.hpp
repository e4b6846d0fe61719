#pragma once

#include <string>

#include "engine/simulate/runner.hpp"
#include "engine/simulate/simulation_options.hpp"
#include "engine/simulate/traffic_generator.hpp"

namespace hisbridge::simulate {

// The lines a run ends with: what was simulated and made, and, when it was sent, what each
// destination answered. `report` is null for a dry run. Every line is `key: values`, so a
// script can read it.
std::string summary_text(const SimulationOptions& options, const TrafficGenerator& traffic,
                         const RunReport* report, const std::string& lis_address,
                         const std::string& ris_address);

}  // namespace hisbridge::simulate
