#pragma once

#include <iosfwd>
#include <string>

namespace hisbridge::app {

// `hisbridge check-config [--config FILE]`: every error in the config (and the files it names)
// with file, line and column. Exit status 0 when valid, 2 when not.
int run_check_config(const std::string& config_file, std::ostream& out, std::ostream& err);

}  // namespace hisbridge::app
