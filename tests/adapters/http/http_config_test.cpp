#include "adapters/http/http_config.hpp"

#include <string>

#include <gtest/gtest.h>

#include "tests/adapters/tls/test_certs.hpp"

namespace hisbridge::http {
namespace {

using hisbridge::testing::test_certs;

config::ListenerConfig http_listener() {
  config::ListenerConfig l;
  l.name = "lis-http";
  l.type = config::ListenerType::http;
  l.host = "127.0.0.1";
  l.port = 8081;
  l.max_frame_bytes = 1u << 20;
  l.max_connections = 50;
  l.max_connections_per_ip = 7;
  l.message_timeout = std::chrono::seconds(42);
  l.allow_from = {"10.0.0.0/8", "127.0.0.1"};
  return l;
}

TEST(HttpConfigTest, IngestOptionsTakeTheListenersLimits) {
  auto options = ingest_options(http_listener());
  ASSERT_TRUE(options) << options.error();
  EXPECT_EQ(options->sources, std::vector<std::string>{"lis-http"});
  EXPECT_EQ(options->host, "127.0.0.1");
  EXPECT_EQ(options->port, 8081);
  const HttpServerOptions& server = options->server;
  EXPECT_EQ(server.name, "lis-http");
  EXPECT_EQ(server.max_body_bytes, 1u << 20);
  EXPECT_EQ(server.max_connections, 50u);
  EXPECT_EQ(server.max_connections_per_ip, 7u);
  EXPECT_EQ(server.header_timeout, std::chrono::seconds(42));
  EXPECT_EQ(server.body_timeout, std::chrono::seconds(42));
  EXPECT_EQ(server.allow_from.ranges().size(), 2u);
  EXPECT_TRUE(server.allow_from.allows(*hisbridge::net::IpAddress::parse("10.9.8.7")));
  EXPECT_FALSE(server.allow_from.allows(*hisbridge::net::IpAddress::parse("192.168.1.1")));
  EXPECT_EQ(server.tls, nullptr);
}

TEST(HttpConfigTest, IngestOptionsMakeTheTlsContext) {
  config::ListenerConfig l = http_listener();
  l.tls = test_certs().server_config(/*require_client=*/true);
  l.tls.handshake_timeout = std::chrono::seconds(3);
  auto options = ingest_options(l);
  ASSERT_TRUE(options) << options.error();
  EXPECT_NE(options->server.tls, nullptr);
  EXPECT_EQ(options->server.handshake_timeout, std::chrono::seconds(3));
}

TEST(HttpConfigTest, AMissingTlsFileNamesTheListenerAndTheFile) {
  config::ListenerConfig l = http_listener();
  l.tls = test_certs().server_config();
  l.tls.certificate = (test_certs().dir / "missing.pem").string();
  auto options = ingest_options(l);
  ASSERT_FALSE(options);
  EXPECT_NE(options.error().find("listener lis-http"), std::string::npos) << options.error();
  EXPECT_NE(options.error().find("missing.pem"), std::string::npos) << options.error();
}

TEST(HttpConfigTest, ABadAllowFromEntryNamesTheListener) {
  config::ListenerConfig l = http_listener();
  l.allow_from = {"10.0.0.0/33"};
  auto options = ingest_options(l);
  ASSERT_FALSE(options);
  EXPECT_NE(options.error().find("listener lis-http: allow_from"), std::string::npos)
      << options.error();
}

TEST(HttpConfigTest, AdminServerIsPlainWithoutTls) {
  auto options = admin_server_options(config::AdminConfig{});
  ASSERT_TRUE(options) << options.error();
  EXPECT_EQ(options->name, "admin");
  EXPECT_EQ(options->tls, nullptr);
  EXPECT_EQ(options->max_connections, 64u);
}

TEST(HttpConfigTest, AdminServerTakesItsTls) {
  config::AdminConfig admin;
  admin.tls = test_certs().server_config();
  admin.tls.handshake_timeout = std::chrono::seconds(20);
  auto options = admin_server_options(admin);
  ASSERT_TRUE(options) << options.error();
  EXPECT_NE(options->tls, nullptr);
  EXPECT_EQ(options->handshake_timeout, std::chrono::seconds(20));
  admin.tls.private_key = admin.tls.certificate;  // not a key
  auto wrong = admin_server_options(admin);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().rfind("admin: ", 0), 0u) << wrong.error();
}

}  // namespace
}  // namespace hisbridge::http
