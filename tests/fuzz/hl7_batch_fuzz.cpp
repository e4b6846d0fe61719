#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/hl7/batch.hpp"
#include "engine/hl7/charset.hpp"

using namespace hisbridge::hl7;

// Splits the input as a file of messages and decodes each one (character sets included, with
// the first byte choosing an override so iconv paths are reached too). Every message view must
// lie inside the input.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const Batch batch = split_messages(bytes);
  static constexpr std::string_view kOverrides[] = {"", "", "CP1258", "8859/1", "TCVN5712-1",
                                                    "UNICODE UTF-16"};
  DecodeOptions options;
  options.parse.max_message_bytes = 1 << 20;
  options.charset_override = size == 0 ? "" : std::string(kOverrides[data[0] % 6]);
  for (std::string_view message : batch.messages) {
    if (message.data() < bytes.data() || message.data() + message.size() > bytes.data() + size) {
      __builtin_trap();
    }
    if (auto m = decode(message, options)) {
      (void)m->header();
      (void)m->to_er7();
    }
  }
  return 0;
}
