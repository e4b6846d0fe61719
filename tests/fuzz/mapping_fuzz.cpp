#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/mapping/mapping.hpp"

using namespace hisbridge::mapping;

// A mapping file and a message in one input, split at the first line "=====": the mapping
// loader (JSON with comments, every validation rule, XPath and regex compilation) on arbitrary
// text, and when it loads, the evaluator on an arbitrary message. Every load error must carry a
// position inside the text; mapping a message may fail but must not crash.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.find("\n=====\n");
  const std::string_view text = input.substr(0, split);
  const std::string_view message =
      split == std::string_view::npos ? std::string_view() : input.substr(split + 7);
  auto loaded = load_mapping_text(text, "fuzz/mapping.json");
  if (!loaded) {
    for (const auto& e : loaded.error()) {
      if (e.line == 0 || e.column == 0) {
        __builtin_trap();
      }
    }
    return 0;
  }
  const Mapping mapping(*loaded);
  (void)mapping.apply(message);
  return 0;
}
