#pragma once

#include <nlohmann/json.hpp>

#include "engine/config/config.hpp"
#include "engine/config/json_reader.hpp"

namespace hisbridge::config {

// Reads the `turnaround` section (docs/configuration.md) into `out`, reporting every problem
// to `sink` at its place. A configured `intervals` list replaces the defaults entirely.
void read_turnaround(const nlohmann::json& j, ErrorSink& sink, TurnaroundConfig& out);

}  // namespace hisbridge::config
