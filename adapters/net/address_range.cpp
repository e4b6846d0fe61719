#include "adapters/net/address_range.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace hisbridge::net {
namespace {

constexpr std::array<std::uint8_t, 12> kV4MappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string not_an_address(std::string_view text) {
  return quoted(text) +
         " is not an IP address or range (\"10.1.2.7\", \"10.1.2.0/24\", \"fd00::/8\"; host "
         "names are not allowed)";
}

bool is_v4_mapped(const std::array<std::uint8_t, 16>& bytes) {
  return std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), bytes.begin());
}

// `address` with the bits past `prefix` cleared.
IpAddress masked(const IpAddress& address, unsigned prefix) {
  std::array<std::uint8_t, 16> bytes{};
  const auto in = address.bytes();
  for (std::size_t i = 0; i < in.size(); ++i) {
    const unsigned first_bit = static_cast<unsigned>(i) * 8;
    if (first_bit + 8 <= prefix) {
      bytes[i] = in[i];
    } else if (first_bit < prefix) {
      bytes[i] = static_cast<std::uint8_t>(in[i] & (0xff00u >> (prefix - first_bit)));
    }
  }
  if (address.is_v4()) {
    return IpAddress::v4({bytes[0], bytes[1], bytes[2], bytes[3]});
  }
  return IpAddress::v6(bytes);
}

}  // namespace

IpAddress IpAddress::v4(const std::array<std::uint8_t, 4>& bytes) {
  IpAddress address;
  std::copy(bytes.begin(), bytes.end(), address.bytes_.begin());
  address.size_ = 4;
  return address;
}

IpAddress IpAddress::v6(const std::array<std::uint8_t, 16>& bytes) {
  if (is_v4_mapped(bytes)) {
    return v4({bytes[12], bytes[13], bytes[14], bytes[15]});
  }
  IpAddress address;
  address.bytes_ = bytes;
  address.size_ = 16;
  return address;
}

Result<IpAddress, std::string> IpAddress::parse(std::string_view text) {
  // inet_pton needs a terminated string; an address is at most 45 characters.
  if (text.empty() || text.size() > 45) {
    return not_an_address(text);
  }
  const std::string terminated(text);
  std::array<std::uint8_t, 4> v4_bytes{};
  if (inet_pton(AF_INET, terminated.c_str(), v4_bytes.data()) == 1) {
    return v4(v4_bytes);
  }
  std::array<std::uint8_t, 16> v6_bytes{};
  if (inet_pton(AF_INET6, terminated.c_str(), v6_bytes.data()) == 1) {
    return v6(v6_bytes);
  }
  return not_an_address(text);
}

std::string IpAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), text, sizeof text);
  return text;
}

std::size_t IpAddress::hash() const {
  // FNV-1a over the bytes: addresses from one network differ in their last bytes.
  std::uint64_t h = 1469598103934665603ULL;
  for (const std::uint8_t b : bytes()) {
    h = (h ^ b) * 1099511628211ULL;
  }
  return static_cast<std::size_t>(h ^ size_);
}

Result<AddressRange, std::string> AddressRange::parse(std::string_view text) {
  const auto slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) {
    return not_an_address(text);
  }
  AddressRange range;
  bool mapped = false;
  unsigned bits = address->is_v4() ? 32 : 128;
  if (address->is_v4() && text.substr(0, slash).find(':') != std::string_view::npos) {
    mapped = true;  // "::ffff:10.0.0.0/104": written in IPv6, kept as IPv4
    bits = 128;
  }
  range.prefix_ = mapped ? 32 : bits;
  if (slash != std::string_view::npos) {
    const std::string_view length = text.substr(slash + 1);
    unsigned prefix = 0;
    const auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), prefix);
    if (length.empty() || ec != std::errc{} || end != length.data() + length.size() ||
        prefix > bits || (mapped && prefix < 96)) {
      return quoted(text) + ": the prefix length must be " + (mapped ? "96" : "0") + " to " +
             std::to_string(bits);
    }
    range.prefix_ = mapped ? prefix - 96 : prefix;
  }
  range.base_ = masked(*address, range.prefix_);
  return range;
}

bool AddressRange::contains(const IpAddress& address) const {
  if (address.is_v4() != base_.is_v4()) {
    return false;
  }
  const auto a = address.bytes();
  const auto b = base_.bytes();
  const std::size_t whole = prefix_ / 8;
  if (std::memcmp(a.data(), b.data(), whole) != 0) {
    return false;
  }
  const unsigned rest = prefix_ % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<std::uint8_t>(0xff00u >> rest);
  return (a[whole] & mask) == b[whole];
}

std::string AddressRange::to_string() const {
  return base_.to_string() + "/" + std::to_string(prefix_);
}

Result<AllowList, std::string> AllowList::parse(const std::vector<std::string>& ranges) {
  AllowList list;
  list.ranges_.reserve(ranges.size());
  for (const std::string& text : ranges) {
    auto range = AddressRange::parse(text);
    if (!range) {
      return range.error();
    }
    list.ranges_.push_back(*range);
  }
  return list;
}

bool AllowList::allows(const IpAddress& address) const {
  if (ranges_.empty()) {
    return true;
  }
  return std::any_of(ranges_.begin(), ranges_.end(),
                     [&](const AddressRange& range) { return range.contains(address); });
}

}  // namespace hisbridge::net
