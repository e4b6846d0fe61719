#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace hisbridge::config {

// One thing wrong in a file a person edits, where an editor can jump to it.
struct ConfigError {
  std::string file;
  std::size_t line = 0;
  std::size_t column = 0;
  std::string message;

  // "config/hisbridge.json:12:7: unknown key 'prot' (did you mean 'port'?)"
  std::string to_string() const;
};

// Thrown once by load_config with every error found; `main` prints them and exits 2.
class ConfigErrors : public std::runtime_error {
 public:
  explicit ConfigErrors(std::vector<ConfigError> errors);
  const std::vector<ConfigError>& errors() const { return errors_; }

 private:
  std::vector<ConfigError> errors_;
};

}  // namespace hisbridge::config
