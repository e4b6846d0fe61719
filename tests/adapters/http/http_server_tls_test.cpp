// HttpServer over TLS, with real sockets on loopback and certificates the openssl command made:
// HTTPS served, mutual TLS, failed handshakes counted while the server keeps serving, plain
// HTTP to the HTTPS port answered in plain text, close_notify at the end.
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "adapters/http/http_server.hpp"
#include "adapters/tls/tls_context.hpp"
#include "tests/adapters/adapter_test_support.hpp"
#include "tests/adapters/http/http_test_client.hpp"
#include "tests/adapters/http/https_test_client.hpp"
#include "tests/adapters/tls/test_certs.hpp"
#include "tests/support/log_capture.hpp"

namespace hisbridge::http {
namespace {

using testing_support::LogCapture;

namespace net = boost::asio;
using hisbridge::testing::CertAndKey;
using hisbridge::testing::TestHttpClient;
using hisbridge::testing::TestHttpsClient;
using hisbridge::testing::test_certs;
using hisbridge::testing::wait_until;

// Answers every request with its method and target.
class EchoHandler final : public HttpHandler {
 public:
  void handle(HttpRequest request, HttpResponder respond) override {
    respond(HttpResponse::text(200, request.method + " " + request.target));
  }
};

std::shared_ptr<net::ssl::context> server_context(bool require_client) {
  auto context = tls::make_server_context(test_certs().server_config(require_client), "test");
  EXPECT_TRUE(context) << (context ? "" : context.error());
  return context ? *context : nullptr;
}

// A client trusting the test CA, presenting `identity` when set.
std::shared_ptr<net::ssl::context> client_context(const CertAndKey* identity = nullptr) {
  auto context = tls::make_client_context(test_certs().client_config(identity), true, "test");
  EXPECT_TRUE(context) << (context ? "" : context.error());
  return context ? *context : nullptr;
}

class HttpServerTlsTest : public ::testing::Test {
 protected:
  void start(bool require_client = false, HttpServerOptions options = {}) {
    options.name = "test";
    options.tls = server_context(require_client);
    ASSERT_NE(options.tls, nullptr);
    server_ = std::make_unique<HttpServer>(io_.ioc(), "127.0.0.1", 0, handler_, options);
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error().message();
  }

  std::uint64_t handshake_failures() const {
    return server_->counters().tls_handshake_failures.load();
  }

  // The server still serves an HTTPS client: what every refusal test checks last.
  void expect_still_serving() {
    TestHttpsClient client(server_->port(), client_context(&test_certs().client));
    ASSERT_TRUE(client.handshake_ok()) << client.error().message();
    auto response = client.send(TestHttpsClient::get("/after"));
    ASSERT_TRUE(response) << client.error().message();
    EXPECT_EQ(response->body, "GET /after\n");
  }

  // A mutual-TLS client the server must refuse: either its handshake fails or (TLS 1.3, where
  // the server checks the client's certificate after the client has finished) its request gets
  // no answer. The server counts one failure.
  void expect_refused(const CertAndKey* identity) {
    start(/*require_client=*/true);
    {
      TestHttpsClient client(server_->port(), client_context(identity));
      if (client.handshake_ok()) {
        EXPECT_FALSE(client.send(TestHttpsClient::get("/secret")));
      }
    }
    EXPECT_TRUE(wait_until([&] { return handshake_failures() == 1; }));
    EXPECT_EQ(server_->counters().refused_not_allowed.load(), 0u);
    expect_still_serving();
  }

  EchoHandler handler_;  // outlives the io_context's handlers
  testing::IoThread io_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTlsTest, ServesHttpsAndKeepsTheConnection) {
  start();
  TestHttpsClient client(server_->port(), client_context());
  ASSERT_TRUE(client.handshake_ok()) << client.error().message();
  for (const char* target : {"/one", "/two?x=1"}) {
    auto response = client.send(TestHttpsClient::get(target));
    ASSERT_TRUE(response) << client.error().message();
    EXPECT_EQ(response->status, 200u);
    EXPECT_EQ(response->body, std::string("GET ") + target + "\n");
    EXPECT_TRUE(response->keep_alive);
  }
  EXPECT_EQ(handshake_failures(), 0u);
  EXPECT_EQ(server_->connections(), 1u);
}

TEST_F(HttpServerTlsTest, AReplacedContextServesNewConnectionsAndOpenOnesGoOn) {
  start();
  TestHttpsClient before(server_->port(), client_context());
  ASSERT_TRUE(before.handshake_ok()) << before.error().message();
  ASSERT_TRUE(before.send(TestHttpsClient::get("/one")));

  // A certificate of another CA, which the clients do not trust: a new connection's failed
  // check shows it got the new context.
  config::TlsConfig foreign = test_certs().server_config();
  foreign.certificate = test_certs().foreign.certificate;
  foreign.private_key = test_certs().foreign.private_key;
  auto next = tls::make_server_context(foreign, "test");
  ASSERT_TRUE(next) << next.error();
  ASSERT_TRUE(server_->replace_tls_context(*next));
  EXPECT_EQ(server_->tls_context(), *next);
  {
    TestHttpsClient after(server_->port(), client_context());
    EXPECT_FALSE(after.handshake_ok());
  }

  auto response = before.send(TestHttpsClient::get("/two"));
  ASSERT_TRUE(response) << before.error().message();
  EXPECT_EQ(response->body, "GET /two\n");
}

TEST_F(HttpServerTlsTest, ReportsTheCertificateExpiry) {
  start();
  const auto expiry = server_->certificate_expiry();
  ASSERT_TRUE(expiry.has_value());
  EXPECT_GT(*expiry, std::chrono::system_clock::now());
}

TEST_F(HttpServerTlsTest, PlainServerHasNoCertificateExpiry) {
  HttpServer plain(io_.ioc(), "127.0.0.1", 0, handler_);
  EXPECT_FALSE(plain.certificate_expiry().has_value());
}

TEST_F(HttpServerTlsTest, EndsAClosedConnectionWithCloseNotify) {
  start();
  TestHttpsClient client(server_->port(), client_context());
  ASSERT_TRUE(client.handshake_ok()) << client.error().message();
  auto response = client.send(TestHttpsClient::get("/last", /*close=*/true));
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_FALSE(response->keep_alive);
  // End of stream under TLS is the server's close_notify; a bare TCP close would read as a
  // truncated stream.
  EXPECT_EQ(client.read_end(), net::error::eof);
  EXPECT_TRUE(wait_until([&] { return server_->connections() == 0; }));
}

TEST_F(HttpServerTlsTest, MutualTlsAcceptsTheCasClientCertificate) {
  start(/*require_client=*/true);
  TestHttpsClient client(server_->port(), client_context(&test_certs().client));
  ASSERT_TRUE(client.handshake_ok()) << client.error().message();
  auto response = client.send(TestHttpsClient::get("/secret"));
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(handshake_failures(), 0u);
}

TEST_F(HttpServerTlsTest, MutualTlsRefusesAClientWithoutCertificate) { expect_refused(nullptr); }

TEST_F(HttpServerTlsTest, MutualTlsRefusesAnExpiredClientCertificate) {
  expect_refused(&test_certs().expired);
}

TEST_F(HttpServerTlsTest, MutualTlsRefusesACertificateOfAnotherCa) {
  expect_refused(&test_certs().foreign);
}

TEST_F(HttpServerTlsTest, RefusesTls11) {
  start();
  auto old = client_context();
  SSL_CTX_set_min_proto_version(old->native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(old->native_handle(), TLS1_1_VERSION);
  SSL_CTX_set_security_level(old->native_handle(), 0);  // lets OpenSSL 3 offer TLS 1.1 at all
  {
    TestHttpsClient client(server_->port(), old);
    EXPECT_FALSE(client.handshake_ok());
  }
  EXPECT_TRUE(wait_until([&] { return handshake_failures() == 1; }));
  expect_still_serving();
}

TEST_F(HttpServerTlsTest, AnswersPlainHttpWith400AndKeepsServing) {
  start();
  {
    TestHttpClient plain(server_->port());
    auto response = plain.send(TestHttpClient::post("/ingest/lis", "text/plain", "MSH|..."));
    ASSERT_TRUE(response) << plain.error().message();
    EXPECT_EQ(response->status, 400u);
    EXPECT_NE(response->body.find("HTTPS"), std::string::npos) << response->body;
    EXPECT_FALSE(response->keep_alive);
    EXPECT_TRUE(plain.closed_by_server());
  }
  EXPECT_EQ(handshake_failures(), 1u);
  expect_still_serving();
}

TEST_F(HttpServerTlsTest, LogsFailuresOfOneAddressOnceAMinute) {
  LogCapture log;
  start();
  for (int i = 0; i < 3; ++i) {
    TestHttpClient plain(server_->port());
    auto response = plain.send(TestHttpClient::post("/x", "text/plain", "x"));
    ASSERT_TRUE(response) << plain.error().message();
    EXPECT_EQ(response->status, 400u);
  }
  EXPECT_EQ(handshake_failures(), 3u);
  const std::string text = log.text();
  std::size_t lines = 0;
  for (std::size_t at = text.find("TLS handshake failed"); at != std::string::npos;
       at = text.find("TLS handshake failed", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << text;
  EXPECT_NE(text.find("127.0.0.1:"), std::string::npos) << text;
  EXPECT_NE(text.find("http request"), std::string::npos) << text;  // OpenSSL's reason
  server_->stop();  // nothing logs once the capture is gone
  EXPECT_TRUE(wait_until([&] { return server_->connections() == 0; }));
}

TEST_F(HttpServerTlsTest, PerAddressLimitRefusesBeforeTheHandshake) {
  HttpServerOptions options;
  options.max_connections_per_ip = 1;
  start(false, options);
  TestHttpsClient first(server_->port(), client_context());
  ASSERT_TRUE(first.handshake_ok()) << first.error().message();
  ASSERT_TRUE(first.send(TestHttpsClient::get("/1")));
  {
    TestHttpsClient second(server_->port(), client_context());
    EXPECT_FALSE(second.handshake_ok());
  }
  EXPECT_EQ(server_->counters().refused_per_ip_limit.load(), 1u);
  EXPECT_EQ(handshake_failures(), 0u);  // refused before a TLS byte was read
}

TEST_F(HttpServerTlsTest, AllowListRefusesBeforeTheHandshake) {
  HttpServerOptions options;
  options.allow_from = *hisbridge::net::AllowList::parse({"192.0.2.0/24"});
  start(false, options);
  {
    TestHttpsClient client(server_->port(), client_context());
    EXPECT_FALSE(client.handshake_ok());
  }
  EXPECT_EQ(server_->counters().refused_not_allowed.load(), 1u);
  EXPECT_EQ(handshake_failures(), 0u);
}

TEST_F(HttpServerTlsTest, APortCheckThatSendsNothingIsNotAFailure) {
  start();
  {
    net::io_context ioc;
    net::ip::tcp::socket socket(ioc);
    socket.connect({net::ip::make_address("127.0.0.1"), server_->port()});
  }  // closed without a byte, as a load balancer's check does
  EXPECT_TRUE(wait_until([&] { return server_->connections() == 0; }));
  EXPECT_EQ(handshake_failures(), 0u);
  expect_still_serving();
}

TEST_F(HttpServerTlsTest, AHandshakeThatDoesNotFinishTimesOut) {
  HttpServerOptions options;
  options.handshake_timeout = std::chrono::milliseconds(200);
  start(false, options);
  TestHttpClient raw(server_->port());
  // A TLS record begins and never ends; the server gives up and closes.
  EXPECT_FALSE(raw.exchange_raw(std::string("\x16\x03\x01", 3), "never"));
  EXPECT_TRUE(raw.error() == net::error::eof || raw.error() == net::error::connection_reset)
      << raw.error().message();
  EXPECT_TRUE(wait_until([&] { return handshake_failures() == 1; }));
  expect_still_serving();
}

TEST_F(HttpServerTlsTest, StopClosesTlsConnections) {
  start();
  TestHttpsClient client(server_->port(), client_context());
  ASSERT_TRUE(client.handshake_ok()) << client.error().message();
  ASSERT_TRUE(client.send(TestHttpsClient::get("/one")));
  server_->stop();
  EXPECT_TRUE(client.read_end());  // an error: the connection is gone
  EXPECT_TRUE(wait_until([&] { return server_->connections() == 0; }));
}

}  // namespace
}  // namespace hisbridge::http
