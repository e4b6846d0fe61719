#pragma once

// IP addresses and ranges for allow-lists, without Asio: an address is its bytes, taken from a
// string or from what a socket library gives (Asio's address_v4/v6::to_bytes()).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.hpp"

namespace hisbridge::net {

// An IPv4 or IPv6 address. An IPv4-mapped IPv6 address (::ffff:10.1.2.3, how a socket bound to
// :: sees an IPv4 peer) is kept as the IPv4 address it maps, so it matches IPv4 ranges and
// counts as the same peer as the plain IPv4 address.
class IpAddress {
 public:
  IpAddress() = default;  // 0.0.0.0
  static IpAddress v4(const std::array<std::uint8_t, 4>& bytes);
  static IpAddress v6(const std::array<std::uint8_t, 16>& bytes);
  // "10.1.2.3", "fd00::1", "::ffff:10.1.2.3". Zone ids ("fe80::1%eth0") and host names are
  // refused. The error is a sentence that quotes `text`.
  static Result<IpAddress, std::string> parse(std::string_view text);

  bool is_v4() const { return size_ == 4; }
  std::span<const std::uint8_t> bytes() const { return {bytes_.data(), size_}; }  // 4 or 16
  std::string to_string() const;  // "10.1.2.3", "fd00::1"

  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.size_ == b.size_ && a.bytes_ == b.bytes_;
  }
  std::size_t hash() const;

 private:
  std::array<std::uint8_t, 16> bytes_{};
  std::uint8_t size_ = 4;
};

struct IpAddressHash {
  std::size_t operator()(const IpAddress& address) const { return address.hash(); }
};

// An address with a prefix length: "10.0.0.0/8", "fd00::/8"; a lone address is a range of
// one ("10.1.2.3" is 10.1.2.3/32). Bits past the prefix are ignored ("10.1.2.3/24" is
// 10.1.2.0/24), as check-config accepts them. An IPv4-mapped IPv6 range with a prefix of 96 or
// more ("::ffff:10.0.0.0/104") is the IPv4 range it maps.
class AddressRange {
 public:
  // Errors quote `text`: "'10.0.0.0/33': the prefix length must be 0 to 32",
  // "'lis.local' is not an IP address or range (...)".
  static Result<AddressRange, std::string> parse(std::string_view text);

  // An IPv4 address is never in an IPv6 range nor the reverse (mapped ones are IPv4).
  bool contains(const IpAddress& address) const;
  std::string to_string() const;  // "10.0.0.0/8"

 private:
  IpAddress base_;  // with the bits past the prefix cleared
  unsigned prefix_ = 0;
};

// The `allow_from` of a listener: an address is allowed when any range contains it; an empty
// list allows every address.
class AllowList {
 public:
  AllowList() = default;  // allows every address
  // Fails with the first bad entry's error.
  static Result<AllowList, std::string> parse(const std::vector<std::string>& ranges);

  bool allows(const IpAddress& address) const;
  bool empty() const { return ranges_.empty(); }
  const std::vector<AddressRange>& ranges() const { return ranges_; }

 private:
  std::vector<AddressRange> ranges_;
};

}  // namespace hisbridge::net
