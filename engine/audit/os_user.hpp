#pragma once

#include <string>

namespace hisbridge::audit {

// The name of the OS user the process runs as ("uid N" when it has none): the actor of an
// action taken from the command line (`hisbridge replay`, `hisbridge backup`).
std::string os_user();

}  // namespace hisbridge::audit
