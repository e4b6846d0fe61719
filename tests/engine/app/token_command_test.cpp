// `hisbridge token`: what it prints is a working token and the config entry that admits it.
#include "engine/app/token_command.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/auth/token.hpp"
#include "engine/config/config_loader.hpp"

namespace hisbridge::app {
namespace {

struct CommandRun {
  int status = -1;
  std::string out;
  std::string err;
};

CommandRun token(const std::string& name, const std::string& role, bool json) {
  std::ostringstream out;
  std::ostringstream err;
  CommandRun r;
  r.status = run_token({name, role, json}, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

TEST(TokenCommandTest, JsonGivesATokenWhoseDigestTheConfigAccepts) {
  const CommandRun r = token("it-team", "operator", true);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const std::string secret = j["token"];
  EXPECT_TRUE(secret.starts_with(auth::kTokenPrefix));
  EXPECT_EQ(j["name"], "it-team");
  EXPECT_EQ(j["role"], "operator");
  EXPECT_EQ(j["sha256"], auth::to_hex(auth::digest(secret)));

  // The entry as printed goes into a config that check-config accepts, off loopback too.
  nlohmann::json entry = j;
  entry.erase("token");
  const std::string config = R"({"store": {"location": "j.db"}, "admin": {"host": "0.0.0.0",
      "tokens": [)" + entry.dump() + "]}}";
  config::Config c;
  const auto errors = config::check_config_text(config, "t.json", &c);
  ASSERT_TRUE(errors.empty()) << errors.front().to_string();
  ASSERT_EQ(c.admin.tokens.size(), 1u);
  EXPECT_TRUE(auth::same_digest(c.admin.tokens[0].sha256, auth::digest(secret)));
  EXPECT_EQ(c.admin.tokens[0].role, auth::Role::operator_);
}

TEST(TokenCommandTest, TheTextForAPersonShowsTheTokenOnceAndTheEntry) {
  const CommandRun r = token("wallboard", "viewer", false);
  ASSERT_EQ(r.status, 0) << r.err;
  const std::size_t at = r.out.find(std::string("  ") + std::string(auth::kTokenPrefix));
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string secret = r.out.substr(at + 2, auth::kTokenPrefix.size() + 43);
  EXPECT_NE(r.out.find("\"sha256\":\"" + auth::to_hex(auth::digest(secret)) + "\""),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"role\":\"viewer\""), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(secret, at + 3), std::string::npos) << "the token is printed once";
  EXPECT_NE(token("wallboard", "viewer", false).out, r.out) << "a new token every time";
}

TEST(TokenCommandTest, ABadRoleOrNameIsUsageAndMakesNothing) {
  CommandRun r = token("it-team", "admin", false);
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("role 'admin' is not one of viewer, operator"), std::string::npos);
  r = token("it team", "viewer", false);
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("name 'it team'"), std::string::npos);
}

}  // namespace
}  // namespace hisbridge::app
