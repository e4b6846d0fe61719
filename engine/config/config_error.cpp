#include "engine/config/config_error.hpp"

namespace hisbridge::config {

std::string ConfigError::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

namespace {

std::string summary(const std::vector<ConfigError>& errors) {
  if (errors.empty()) {
    return "invalid configuration";
  }
  std::string out = errors.front().to_string();
  if (errors.size() > 1) {
    out += " (and " + std::to_string(errors.size() - 1) + " more)";
  }
  return out;
}

}  // namespace

ConfigErrors::ConfigErrors(std::vector<ConfigError> errors)
    : std::runtime_error(summary(errors)), errors_(std::move(errors)) {}

}  // namespace hisbridge::config
