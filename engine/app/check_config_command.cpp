#include "engine/app/check_config_command.hpp"

#include <ostream>

#include "engine/app/channel_factory.hpp"
#include "engine/config/config_loader.hpp"
#include "engine/store/open_store.hpp"
#include "engine/mapping/mapping.hpp"

namespace hisbridge::app {

int run_check_config(const std::string& config_file, std::ostream& out, std::ostream& err) {
  config::Config config;
  auto errors = config::check_config(config_file, &config);
  // Every mapping the config names, with its lookup tables, compiled as the engine would.
  mapping::MappingLoadOptions mapping_options;
  mapping_options.timezone = config.timezone;
  std::size_t mappings = 0;
  for (const std::string& file : mapping_files(config)) {
    if (!std::filesystem::is_regular_file(file)) {
      continue;  // already reported by the config check
    }
    ++mappings;
    if (auto loaded = mapping::Mapping::load(file, mapping_options); !loaded) {
      const mapping::MappingErrors found = loaded.error();  // error() returns a copy
      errors.insert(errors.end(), found.begin(), found.end());
    }
  }
  for (const auto& e : errors) {
    err << e.to_string() << "\n";
  }
  if (!errors.empty()) {
    err << config_file << ": " << errors.size() << (errors.size() == 1 ? " error\n" : " errors\n");
    return 2;
  }
  out << config_file << ": valid (" << config.listeners.size() << " listeners, "
      << config.channels.size() << " channels, " << mappings << " mappings, store "
      << store::redacted_location(config.store.location) << ")\n";
  return 0;
}

}  // namespace hisbridge::app
