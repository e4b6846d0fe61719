// Admin tokens: their form, their digest as the config keeps it, and the role order.
#include "engine/auth/token.hpp"

#include <gtest/gtest.h>

#include <set>

#include "engine/auth/role.hpp"

namespace hisbridge::auth {
namespace {

TEST(TokenTest, ATokenIs256RandomBitsInBase64UrlAfterThePrefix) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const auto token = make_token();
    ASSERT_TRUE(token);
    ASSERT_EQ(token->size(), kTokenPrefix.size() + 43);
    EXPECT_TRUE(token->starts_with(kTokenPrefix));
    EXPECT_EQ(token->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789-_",
                                       kTokenPrefix.size()),
              std::string::npos)
        << *token;
    seen.insert(*token);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(TokenTest, TheDigestIsSha256AndRoundTripsThroughHex) {
  // SHA-256("abc"), FIPS 180-2 appendix B.1.
  const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  EXPECT_EQ(to_hex(digest("abc")), abc);
  const auto parsed = digest_from_hex(abc);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(same_digest(*parsed, digest("abc")));
  EXPECT_FALSE(same_digest(*parsed, digest("abd")));
  std::string upper = abc;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  EXPECT_TRUE(digest_from_hex(upper));
  EXPECT_FALSE(digest_from_hex(abc.substr(1)));
  EXPECT_FALSE(digest_from_hex(abc.substr(2) + "zz"));
  EXPECT_FALSE(digest_from_hex(""));
}

TEST(RoleTest, AnOperatorMayDoWhatAViewerMayAndNotTheOtherWayRound) {
  EXPECT_EQ(parse_role("viewer"), Role::viewer);
  EXPECT_EQ(parse_role("operator"), Role::operator_);
  EXPECT_FALSE(parse_role("admin"));
  EXPECT_FALSE(parse_role("Viewer"));
  EXPECT_EQ(to_string(Role::operator_), "operator");
  EXPECT_TRUE(allows(Role::operator_, Role::viewer));
  EXPECT_TRUE(allows(Role::viewer, Role::viewer));
  EXPECT_FALSE(allows(Role::viewer, Role::operator_));
}

}  // namespace
}  // namespace hisbridge::auth
