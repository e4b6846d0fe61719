#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/config_error.hpp"
#include "engine/core/result.hpp"
#include "engine/mapping/program.hpp"

namespace hisbridge::mapping {

struct MappingLoadOptions {
  // The zone of HL7 times without an offset, unless the mapping file names its own.
  std::string timezone = "Asia/Ho_Chi_Minh";
};

using MappingErrors = std::vector<config::ConfigError>;

// Reads and compiles a mapping file (JSON with comments; docs/mapping-guide.md) and the lookup
// tables it names (paths relative to the mapping file's folder). Every problem is reported,
// each with file, line and column: unknown keys, paths into unknown segments or beyond a
// segment's fields, unknown transforms, missing tables or columns, values of the wrong type,
// columns used before they are computed, definitions that use each other in a loop.
Result<std::shared_ptr<const Program>, MappingErrors> load_mapping(
    const std::filesystem::path& file, const MappingLoadOptions& options = {});

// The same from text in memory; `file` names it in errors and anchors relative table paths.
Result<std::shared_ptr<const Program>, MappingErrors> load_mapping_text(
    std::string_view text, const std::filesystem::path& file,
    const MappingLoadOptions& options = {});

}  // namespace hisbridge::mapping
