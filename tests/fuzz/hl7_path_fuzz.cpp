#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/hl7/message.hpp"
#include "engine/hl7/path.hpp"

using namespace hisbridge::hl7;

// Paths come from mapping and config files people edit: a path that parses must print back
// to a path that parses to the same thing, and reading it from a message must be safe.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto path = Path::parse(text);
  if (!path) {
    return 0;
  }
  auto again = Path::parse(path->to_string());
  if (!again || !(*again == *path)) {
    __builtin_trap();
  }
  static const std::string kMessage =
      "MSH|^~\\&|A|B|C|D|2026||ORU^R01|1|P|2.5\rPID|1||X~Y^Z&W\rOBX|1|ST|C||V\r";
  (void)Message::parse(kMessage)->get(*path).value();
  return 0;
}
