#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/config/config_loader.hpp"
#include "engine/config/source_map.hpp"

using namespace hisbridge::config;

// The config reader on arbitrary text: JSON with comments, the source map that places errors,
// and every validation rule. Every error must carry a position inside the text.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const ConfigError& e : check_config_text(text, "fuzz.json")) {
    if (e.line == 0 || e.column == 0) {
      __builtin_trap();
    }
  }
  (void)SourceMap::build(text).value("/listeners/0/port");
  return 0;
}
