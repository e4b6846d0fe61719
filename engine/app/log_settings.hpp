#pragma once

#include "engine/config/config.hpp"

namespace hisbridge::app {

// Applies the `log` section to the running process: the level, and whether log lines may
// quote patient data (engine/core/patient_data_log.hpp), which is said loudly whenever it is
// on. At start and on every reload.
void apply_log_settings(const config::LogConfig& log);

}  // namespace hisbridge::app
