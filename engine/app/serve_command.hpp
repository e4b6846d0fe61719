#pragma once

#include <string>

namespace hisbridge::app {

// `hisbridge serve [--config FILE]`: runs the engine until SIGINT/SIGTERM. Exit status 2 for an
// invalid config, 1 when the engine cannot start (store, port in use), 0 after a clean stop.
int run_serve(const std::string& config_file);

}  // namespace hisbridge::app
