#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/config/config.hpp"
#include "engine/core/result.hpp"
#include "engine/mapping/mapping_watcher.hpp"
#include "engine/router/channel.hpp"

namespace hisbridge::app {

// Builds the running channels of a config: each channel's mapping (loaded into `watcher`, so
// that it is hot-reloaded) and its destinations (the only place that knows every destination
// adapter). Fails, saying which channel and why, when a mapping is invalid or a destination
// cannot be opened; the engine does not start then.
Result<std::vector<router::Channel>, std::string> build_channels(const config::Config& config,
                                                                mapping::MappingWatcher& watcher);

// Every mapping file a config names (channels' and destinations'), each once, in order.
std::vector<std::string> mapping_files(const config::Config& config);

}  // namespace hisbridge::app
