// The `admin` section: tokens as the config keeps them, and the rule that an admin server the
// network can reach is not open.
#include "engine/config/admin_reader.hpp"

#include <gtest/gtest.h>

#include "engine/auth/token.hpp"
#include "engine/config/config_loader.hpp"

namespace hisbridge::config {
namespace {

constexpr const char* kDigest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

std::vector<ConfigError> check(const std::string& admin, Config* out = nullptr) {
  return check_config_text(R"({"store": {"location": "j.db"}, "admin": )" + admin + "}",
                           "test.json", out);
}

std::string all(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    out += e.to_string() + "\n";
  }
  return out;
}

TEST(AdminReaderTest, ReadsTokensAndOpenMetrics) {
  Config c;
  const auto errors = check(std::string(R"({"host": "0.0.0.0", "port": 8443, "open_metrics": false,
      "tokens": [{"name": "it-team", "role": "operator", "sha256": ")") + kDigest + R"("},
                 {"name": "wallboard", "role": "viewer", "sha256": ")" +
                                std::string(64, 'A') + R"("}]})",
                            &c);
  ASSERT_TRUE(errors.empty()) << all(errors);
  EXPECT_EQ(c.admin.host, "0.0.0.0");
  EXPECT_FALSE(c.admin.open_metrics);
  ASSERT_EQ(c.admin.tokens.size(), 2u);
  EXPECT_EQ(c.admin.tokens[0].name, "it-team");
  EXPECT_EQ(c.admin.tokens[0].role, auth::Role::operator_);
  EXPECT_TRUE(auth::same_digest(c.admin.tokens[0].sha256, auth::digest("abc")));
  EXPECT_EQ(c.admin.tokens[1].role, auth::Role::viewer);
}

TEST(AdminReaderTest, TheDefaultIsOpenOnLoopbackOnly) {
  Config c;
  ASSERT_TRUE(check("{}", &c).empty());
  EXPECT_EQ(c.admin.host, "127.0.0.1");
  EXPECT_TRUE(c.admin.tokens.empty());
  EXPECT_TRUE(c.admin.open_metrics);
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) {
    EXPECT_TRUE(check(std::string(R"({"host": ")") + host + R"("})").empty()) << host;
  }
  const auto errors = check(R"({"host": "0.0.0.0"})");
  ASSERT_EQ(errors.size(), 1u) << all(errors);
  EXPECT_NE(all(errors).find("test.json:1:51: the admin server on '0.0.0.0' can be reached from "
                             "the network"),
            std::string::npos)
      << all(errors);
  EXPECT_NE(all(errors).find("hisbridge token"), std::string::npos);
  EXPECT_EQ(check(R"({"host": "10.20.0.5"})").size(), 1u);
}

TEST(AdminReaderTest, BadTokensArePlacedAndExplained) {
  const auto errors = check(std::string(R"({"tokens": [
      {"name": "it team", "role": "admin", "sha256": "abc"},
      {"name": "x", "role": "viewer", "sha256": "hbt_AAAA"},
      {"name": "dup", "role": "viewer", "sha256": ")") + kDigest + R"("},
      {"name": "dup", "role": "viewer", "sha256": ")" + kDigest + R"("},
      {"name": "y", "role": "viewer"}]})");
  const std::string text = all(errors);
  EXPECT_NE(text.find("token name 'it team' must be 1 to 64 letters"), std::string::npos) << text;
  EXPECT_NE(text.find("role 'admin' is not one of viewer, operator"), std::string::npos) << text;
  EXPECT_NE(text.find("'sha256' must be 64 hexadecimal digits"), std::string::npos) << text;
  EXPECT_NE(text.find("this is a token, not its digest"), std::string::npos) << text;
  EXPECT_NE(text.find("token name 'dup' is used twice"), std::string::npos) << text;
  EXPECT_NE(text.find("the same token is listed twice"), std::string::npos) << text;
  EXPECT_NE(text.find("'sha256'"), std::string::npos) << text;
  EXPECT_EQ(errors.size(), 7u) << text;
}

}  // namespace
}  // namespace hisbridge::config
