// HttpServer's checks at the door, with real sockets on loopback: the allow-list, the limit per
// address and the server-wide limit, each counted, the server serving on.
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "adapters/http/http_server.hpp"
#include "tests/adapters/adapter_test_support.hpp"
#include "tests/adapters/http/http_test_client.hpp"

namespace hisbridge::http {
namespace {

using hisbridge::testing::TestHttpClient;
using hisbridge::testing::wait_until;

class EchoHandler final : public HttpHandler {
 public:
  void handle(HttpRequest request, HttpResponder respond) override {
    respond(HttpResponse::text(200, request.method + " " + request.target));
  }
};

hisbridge::net::AllowList allow(const std::vector<std::string>& ranges) {
  auto list = hisbridge::net::AllowList::parse(ranges);
  EXPECT_TRUE(list) << (list ? "" : list.error());
  return list ? *list : hisbridge::net::AllowList{};
}

class HttpServerLimitsTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options) {
    options.name = "test";
    server_ = std::make_unique<HttpServer>(io_.ioc(), "127.0.0.1", 0, handler_, options);
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error().message();
  }

  // A client the server admitted: it has been served one request on its connection.
  std::unique_ptr<TestHttpClient> served_client(const std::string& target) {
    auto client = std::make_unique<TestHttpClient>(server_->port());
    auto response = client->send(get(target));
    EXPECT_TRUE(response) << client->error().message();
    EXPECT_EQ(response ? response->status : 0u, 200u);
    return client;
  }

  static TestHttpClient::Request get(const std::string& target) {
    TestHttpClient::Request req(boost::beast::http::verb::get, target, 11);
    req.set(boost::beast::http::field::host, "127.0.0.1");
    return req;
  }

  const HttpServerCounters& counters() const { return server_->counters(); }

  EchoHandler handler_;
  testing::IoThread io_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerLimitsTest, AllowListClosesOtherAddressesUnanswered) {
  HttpServerOptions options;
  options.allow_from = allow({"10.0.0.0/8", "fd00::/8"});
  start(options);
  TestHttpClient client(server_->port());
  EXPECT_FALSE(client.send(get("/x")));  // closed before a byte was read: no answer
  EXPECT_EQ(counters().refused_not_allowed.load(), 1u);
  EXPECT_EQ(counters().refused_per_ip_limit.load(), 0u);
  EXPECT_EQ(counters().refused_over_limit.load(), 0u);
  EXPECT_TRUE(wait_until([&] { return server_->connections() == 0; }));
}

TEST_F(HttpServerLimitsTest, AllowListAdmitsItsRanges) {
  HttpServerOptions options;
  options.allow_from = allow({"10.0.0.0/8", "127.0.0.0/8"});
  start(options);
  served_client("/x");
  EXPECT_EQ(counters().refused_not_allowed.load(), 0u);
}

TEST_F(HttpServerLimitsTest, PerAddressLimitClosesOneMoreUnanswered) {
  HttpServerOptions options;
  options.max_connections_per_ip = 2;
  start(options);
  auto first = served_client("/1");
  auto second = served_client("/2");
  {
    TestHttpClient third(server_->port());
    EXPECT_FALSE(third.send(get("/3")));
  }
  EXPECT_EQ(counters().refused_per_ip_limit.load(), 1u);
  EXPECT_EQ(counters().refused_over_limit.load(), 0u);
  // The place comes back when a connection closes.
  first.reset();
  ASSERT_TRUE(wait_until([&] { return server_->connections() == 1; }));
  served_client("/4");
  EXPECT_EQ(counters().refused_per_ip_limit.load(), 1u);
}

TEST_F(HttpServerLimitsTest, NewLimitsApplyFromTheNextConnectionOrRead) {
  start(HttpServerOptions{});
  auto kept = served_client("/1");

  HttpServerLimits limits;
  limits.allow_from = allow({"10.0.0.0/8"});
  server_->set_limits(limits);
  {
    TestHttpClient refused(server_->port());
    EXPECT_FALSE(refused.send(get("/2")));
  }
  EXPECT_EQ(counters().refused_not_allowed.load(), 1u);
  // A connection accepted before goes on.
  auto response = kept->send(get("/3"));
  ASSERT_TRUE(response) << kept->error().message();
  EXPECT_EQ(response->status, 200u);

  // Open connections count against a new per-address limit.
  limits = {};
  limits.max_connections_per_ip = 2;
  server_->set_limits(limits);
  auto second = served_client("/4");
  {
    TestHttpClient third(server_->port());
    EXPECT_FALSE(third.send(get("/5")));
  }
  EXPECT_EQ(counters().refused_per_ip_limit.load(), 1u);

  // A shorter header timeout: an idle kept-alive connection is closed at its next wait.
  limits.header_timeout = std::chrono::milliseconds(200);
  server_->set_limits(limits);
  ASSERT_TRUE(kept->send(get("/6")));
  ASSERT_TRUE(second->send(get("/7")));
  EXPECT_TRUE(wait_until([&] { return server_->connections() == 0; }));
}

TEST_F(HttpServerLimitsTest, NoPerAddressLimitWhenZero) {
  HttpServerOptions options;
  options.max_connections_per_ip = 0;
  start(options);
  std::vector<std::unique_ptr<TestHttpClient>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(served_client("/" + std::to_string(i)));
  }
  EXPECT_EQ(counters().refused_per_ip_limit.load(), 0u);
}

TEST_F(HttpServerLimitsTest, OverMaxConnectionsIsAnswered503) {
  HttpServerOptions options;
  options.max_connections = 1;
  start(options);
  auto first = served_client("/1");
  TestHttpClient second(server_->port());
  auto response = second.send(get("/2"));
  ASSERT_TRUE(response) << second.error().message();
  EXPECT_EQ(response->status, 503u);
  EXPECT_EQ(response->retry_after, "5");
  EXPECT_EQ(counters().refused_over_limit.load(), 1u);
  EXPECT_EQ(counters().refused_per_ip_limit.load(), 0u);
}

}  // namespace
}  // namespace hisbridge::http
