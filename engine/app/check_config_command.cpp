#include "engine/app/check_config_command.hpp"

#include <ostream>

#include "engine/config/config_loader.hpp"

namespace hisbridge::app {

int run_check_config(const std::string& config_file, std::ostream& out, std::ostream& err) {
  config::Config config;
  const auto errors = config::check_config(config_file, &config);
  for (const auto& e : errors) {
    err << e.to_string() << "\n";
  }
  if (!errors.empty()) {
    err << config_file << ": " << errors.size() << (errors.size() == 1 ? " error\n" : " errors\n");
    return 2;
  }
  out << config_file << ": valid (" << config.listeners.size() << " listeners, "
      << config.channels.size() << " channels, store " << config.store.location << ")\n";
  return 0;
}

}  // namespace hisbridge::app
