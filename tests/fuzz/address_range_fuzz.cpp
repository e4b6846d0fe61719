#include <cstddef>
#include <cstdint>
#include <string_view>

#include "adapters/net/address_range.hpp"

using hisbridge::net::AddressRange;
using hisbridge::net::IpAddress;

// allow_from entries come from config files people edit: a range that parses must print back
// to the same range, contain its own base address, and a parsed address must print back to
// itself.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto address = IpAddress::parse(text)) {
    auto again = IpAddress::parse(address->to_string());
    if (!again || !(*again == *address)) {
      __builtin_trap();
    }
  }
  auto range = AddressRange::parse(text);
  if (!range) {
    return 0;
  }
  const std::string printed = range->to_string();
  auto again = AddressRange::parse(printed);
  if (!again || again->to_string() != printed) {
    __builtin_trap();
  }
  const std::string_view base = std::string_view(printed).substr(0, printed.find('/'));
  auto base_address = IpAddress::parse(base);
  if (!base_address || !range->contains(*base_address)) {
    __builtin_trap();
  }
  return 0;
}
