#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "engine/core/result.hpp"
#include "engine/simulate/traffic_generator.hpp"

namespace hisbridge::simulate {

// What went wrong writing a dry run: the path and the reason.
struct DryRunError {
  std::string message;
};

// Writes every message of `traffic` into `folder` instead of sending it: `lis/` and `ris/`
// hold one file per message, numbered in send order and named by type and control id
// (`000042-ORU_R01-LIS260305KQT000042.hl7`, segments ending in CR as on the wire, so that
// `hisbridge send` and `hisbridge map` take them as they are), and `manifest.tsv` lists them
// with their simulated time, step, visit and order, and what was broken in a malformed one.
// The folder is created when missing. Returns the number of messages written.
Result<std::size_t, DryRunError> write_dry_run(TrafficGenerator& traffic,
                                               const std::filesystem::path& folder,
                                               UtcOffset offset);

}  // namespace hisbridge::simulate
