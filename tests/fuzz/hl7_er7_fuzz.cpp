#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/hl7/ack.hpp"
#include "engine/hl7/message.hpp"
#include "tests/fuzz/walk_message.hpp"
#include "engine/hl7/message_builder.hpp"

using namespace hisbridge::hl7;

// Parses the input as one ER7 message and, when it parses, reads every element down to
// sub-components, round-trips it through the builder and acknowledges it; when it does not,
// builds the reject. Any crash, sanitizer report or broken invariant is a finding.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ParseOptions options;
  options.max_message_bytes = 1 << 20;
  options.max_segments = 2000;
  auto parsed = Message::parse(bytes, options);
  AckOptions ack_options{"ACK1", "20260101000000"};
  if (!parsed) {
    (void)build_reject(bytes, parsed.error(), ack_options);
    return 0;
  }
  const Message& m = *parsed;
  (void)m.header();
  (void)m.get("PID-99.1.1");
  const std::size_t total = decode_every_element(m);
  if (m.to_er7() != m.raw()) {
    __builtin_trap();
  }
  if (MessageBuilder::from(m).to_er7() != m.raw()) {
    __builtin_trap();
  }
  (void)build_ack(m, AckCode::accept, {}, ack_options);
  return total == SIZE_MAX ? 1 : 0;
}
