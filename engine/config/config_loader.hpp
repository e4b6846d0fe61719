#pragma once

#include <cstddef>
#include <filesystem>
#include <string_view>
#include <vector>

#include "engine/config/config.hpp"
#include "engine/config/config_error.hpp"

namespace hisbridge::config {

// A config file is hand-written: a larger file (a wrong path) is refused, not read.
constexpr std::size_t kMaxConfigFileBytes = std::size_t{16} << 20;

// Reads and validates the config file; throws ConfigErrors with every problem found, each with
// file, line and column. Meant for start-up: `main` catches it once and exits 2.
Config load_config(const std::filesystem::path& file);

// The same checks, returning the errors instead of throwing (`hisbridge check-config`);
// `out` receives what could be read.
std::vector<ConfigError> check_config(const std::filesystem::path& file, Config* out = nullptr);

// Validates config text already in memory; `file` only names it in errors.
std::vector<ConfigError> check_config_text(std::string_view text, const std::filesystem::path& file,
                                           Config* out = nullptr);

}  // namespace hisbridge::config
