#include "adapters/net/address_range.hpp"

#include <gtest/gtest.h>

namespace hisbridge::net {
namespace {

IpAddress address(std::string_view text) {
  auto parsed = IpAddress::parse(text);
  EXPECT_TRUE(parsed) << text;
  return parsed ? *parsed : IpAddress();
}

AddressRange range(std::string_view text) {
  auto parsed = AddressRange::parse(text);
  EXPECT_TRUE(parsed) << text << ": " << (parsed ? "" : parsed.error());
  return parsed ? *parsed : AddressRange();
}

TEST(IpAddressTest, ParsesBothFamiliesAndPrintsThem) {
  EXPECT_EQ(address("10.1.2.3").to_string(), "10.1.2.3");
  EXPECT_TRUE(address("10.1.2.3").is_v4());
  EXPECT_EQ(address("FD00:0::1").to_string(), "fd00::1");
  EXPECT_FALSE(address("fd00::1").is_v4());
  EXPECT_EQ(address("fd00::1").bytes().size(), 16u);
}

TEST(IpAddressTest, AnIpv4MappedAddressIsTheIpv4Address) {
  EXPECT_EQ(address("::ffff:10.1.2.3"), address("10.1.2.3"));
  EXPECT_TRUE(address("::ffff:10.1.2.3").is_v4());
  EXPECT_EQ(IpAddress::v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 1, 9}),
            IpAddress::v4({192, 168, 1, 9}));
  EXPECT_EQ(address("::ffff:10.1.2.3").hash(), address("10.1.2.3").hash());
}

TEST(IpAddressTest, RefusesHostNamesZonesAndJunk) {
  for (const char* text : {"", "lis.local", "10.1.2", "10.1.2.256", "fe80::1%eth0", "1::2::3",
                           " 10.1.2.3", "10.1.2.3 "}) {
    auto parsed = IpAddress::parse(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_NE(parsed.error().find(std::string("'") + text + "'"), std::string::npos)
        << parsed.error();
  }
}

TEST(AddressRangeTest, ContainsTheAddressesOfItsPrefix) {
  const AddressRange ten = range("10.0.0.0/8");
  EXPECT_TRUE(ten.contains(address("10.0.0.0")));
  EXPECT_TRUE(ten.contains(address("10.255.255.255")));
  EXPECT_FALSE(ten.contains(address("11.0.0.0")));
  const AddressRange odd = range("192.168.4.0/22");
  EXPECT_TRUE(odd.contains(address("192.168.7.200")));
  EXPECT_FALSE(odd.contains(address("192.168.8.1")));
  EXPECT_FALSE(odd.contains(address("192.168.3.255")));
  const AddressRange ula = range("fd00::/8");
  EXPECT_TRUE(ula.contains(address("fd12:3456::1")));
  EXPECT_FALSE(ula.contains(address("fe80::1")));
}

TEST(AddressRangeTest, ALoneAddressIsARangeOfOne) {
  const AddressRange one = range("10.1.2.3");
  EXPECT_EQ(one.to_string(), "10.1.2.3/32");
  EXPECT_TRUE(one.contains(address("10.1.2.3")));
  EXPECT_FALSE(one.contains(address("10.1.2.4")));
  EXPECT_EQ(range("::1").to_string(), "::1/128");
  EXPECT_TRUE(range("::1").contains(address("::1")));
}

TEST(AddressRangeTest, FamiliesDoNotMixButMappedPeersMatchIpv4Ranges) {
  EXPECT_FALSE(range("0.0.0.0/0").contains(address("fd00::1")));
  EXPECT_FALSE(range("::/0").contains(address("10.1.2.3")));
  EXPECT_TRUE(range("10.0.0.0/8").contains(address("::ffff:10.9.8.7")));
  // Written in IPv6, the mapped range is the IPv4 one.
  const AddressRange mapped = range("::ffff:10.0.0.0/104");
  EXPECT_EQ(mapped.to_string(), "10.0.0.0/8");
  EXPECT_TRUE(mapped.contains(address("10.9.8.7")));
}

TEST(AddressRangeTest, BitsPastThePrefixAreIgnored) {
  const AddressRange r = range("10.1.2.3/24");
  EXPECT_EQ(r.to_string(), "10.1.2.0/24");
  EXPECT_TRUE(r.contains(address("10.1.2.200")));
  EXPECT_EQ(range("fd00::1:2/100").to_string(), "fd00::/100");
  EXPECT_TRUE(range("0.0.0.0/0").contains(address("203.0.113.9")));
}

TEST(AddressRangeTest, BadRangesSayWhatIsWrong) {
  struct Case {
    const char* text;
    const char* says;
  };
  for (const Case& c : {Case{"10.0.0.0/33", "the prefix length must be 0 to 32"},
                        Case{"fd00::/129", "the prefix length must be 0 to 128"},
                        Case{"10.0.0.0/", "the prefix length must be"},
                        Case{"10.0.0.0/x", "the prefix length must be"},
                        Case{"10.0.0.0/-1", "the prefix length must be"},
                        Case{"::ffff:10.0.0.0/64", "the prefix length must be 96 to 128"},
                        Case{"lis.local/24", "is not an IP address or range"},
                        Case{"10.0.0/8", "is not an IP address or range"}}) {
    auto parsed = AddressRange::parse(c.text);
    ASSERT_FALSE(parsed) << c.text;
    EXPECT_NE(parsed.error().find(c.says), std::string::npos) << parsed.error();
    EXPECT_NE(parsed.error().find(std::string("'") + c.text + "'"), std::string::npos)
        << parsed.error();
  }
}

TEST(AllowListTest, EmptyAllowsEveryAddress) {
  const AllowList list;
  EXPECT_TRUE(list.empty());
  EXPECT_TRUE(list.allows(address("203.0.113.9")));
  EXPECT_TRUE(list.allows(address("2001:db8::1")));
}

TEST(AllowListTest, AllowsWhatAnyRangeContains) {
  auto list = AllowList::parse({"10.1.2.0/24", "192.168.0.7", "fd00::/8"});
  ASSERT_TRUE(list);
  EXPECT_EQ(list->ranges().size(), 3u);
  EXPECT_TRUE(list->allows(address("10.1.2.77")));
  EXPECT_TRUE(list->allows(address("::ffff:192.168.0.7")));
  EXPECT_TRUE(list->allows(address("fd00::9")));
  EXPECT_FALSE(list->allows(address("10.1.3.1")));
  EXPECT_FALSE(list->allows(address("192.168.0.8")));
  EXPECT_FALSE(list->allows(address("::1")));
}

TEST(AllowListTest, FailsWithTheFirstBadEntry) {
  auto list = AllowList::parse({"10.0.0.0/8", "10.0.0.0/40", "nonsense"});
  ASSERT_FALSE(list);
  EXPECT_NE(list.error().find("'10.0.0.0/40'"), std::string::npos) << list.error();
}

}  // namespace
}  // namespace hisbridge::net
