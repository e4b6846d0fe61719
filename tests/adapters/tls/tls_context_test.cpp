#include "adapters/tls/tls_context.hpp"

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "tests/adapters/tls/test_certs.hpp"
#include "tests/support/log_capture.hpp"

namespace hisbridge::tls {
namespace {

using testing_support::LogCapture;

namespace net = boost::asio;
using boost::system::error_code;
using testing::test_certs;
using testing::TestCerts;
using tcp = net::ip::tcp;

const TestCerts& certs() { return test_certs(); }

std::string server_error(const config::TlsConfig& tls) {
  auto context = make_server_context(tls, "listener lis");
  EXPECT_FALSE(context) << "expected an error";
  return context ? std::string() : context.error();
}

std::int64_t unix_seconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// One handshake over loopback between a server and a client context; the errors each side saw,
// as handshake_error_text words them.
struct HandshakeResult {
  std::string server;  // empty: succeeded
  std::string client;
};

HandshakeResult handshake(Context& server_ctx, Context& client_ctx, const std::string& name) {
  net::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  net::ssl::stream<tcp::socket> server(ioc, server_ctx);
  net::ssl::stream<tcp::socket> client(ioc, client_ctx);
  client.next_layer().connect(acceptor.local_endpoint());
  acceptor.accept(server.next_layer());
  if (!name.empty()) {
    auto expected = expect_server_name(client.native_handle(), name);
    EXPECT_TRUE(expected) << (expected ? "" : expected.error());
  }
  HandshakeResult result;
  server.async_handshake(net::ssl::stream_base::server, [&](const error_code& ec) {
    if (ec) {
      result.server = handshake_error_text(server.native_handle(), ec);
      server.next_layer().close();
    }
  });
  client.async_handshake(net::ssl::stream_base::client, [&](const error_code& ec) {
    if (ec) {
      result.client = handshake_error_text(client.native_handle(), ec);
      client.next_layer().close();
    }
  });
  ioc.run();
  return result;
}

std::shared_ptr<Context> server_context(const config::TlsConfig& tls) {
  auto context = make_server_context(tls, "listener lis");
  EXPECT_TRUE(context) << (context ? "" : context.error());
  return context ? *context : nullptr;
}

std::shared_ptr<Context> client_context(const config::TlsConfig& tls, bool verify = true) {
  auto context = make_client_context(tls, verify, "destination ris");
  EXPECT_TRUE(context) << (context ? "" : context.error());
  return context ? *context : nullptr;
}

config::TlsConfig with_pair(const testing::CertAndKey& pair) {
  config::TlsConfig tls;
  tls.enabled = true;
  tls.certificate = pair.certificate;
  tls.private_key = pair.private_key;
  return tls;
}

TEST(TlsContextTest, AServerContextLoadsAMatchingCertificateAndKey) {
  auto context = make_server_context(certs().server_config(), "listener lis");
  ASSERT_TRUE(context) << context.error();
  const auto expiry = certificate_expiry(**context);
  ASSERT_TRUE(expiry);
  EXPECT_GT(*expiry, std::chrono::system_clock::now() + std::chrono::hours(24 * 800));
}

TEST(TlsContextTest, AMissingCertificateIsNamedWithTheSystemsReason) {
  config::TlsConfig tls = certs().server_config();
  tls.certificate = (certs().dir / "missing.pem").string();
  EXPECT_EQ(server_error(tls), "listener lis: TLS certificate '" + tls.certificate +
                                   "': cannot read: No such file or directory");
}

TEST(TlsContextTest, AFileThatIsNotACertificateSaysSo) {
  config::TlsConfig tls = certs().server_config();
  tls.certificate = certs().not_pem;
  const std::string error = server_error(tls);
  EXPECT_EQ(error.find("listener lis: TLS certificate '" + certs().not_pem +
                       "' is not a PEM certificate ("),
            0u)
      << error;
  tls.certificate = certs().dir.string();  // a folder
  EXPECT_NE(server_error(tls).find("cannot read: Is a directory"), std::string::npos);
}

TEST(TlsContextTest, AKeyOfAnotherCertificateDoesNotMatch) {
  config::TlsConfig tls = certs().server_config();
  tls.private_key = certs().client.private_key;
  const std::string error = server_error(tls);
  EXPECT_NE(error.find("listener lis: TLS private key '" + tls.private_key +
                       "' does not match the certificate '" + tls.certificate + "'"),
            std::string::npos)
      << error;
}

TEST(TlsContextTest, AMissingOrNonPemKeyIsNamed) {
  config::TlsConfig tls = certs().server_config();
  tls.private_key = certs().not_pem;
  EXPECT_NE(server_error(tls).find("TLS private key '" + certs().not_pem +
                                   "' is not a PEM private key"),
            std::string::npos);
  tls.private_key = (certs().dir / "missing.key").string();
  EXPECT_NE(server_error(tls).find("cannot read: No such file or directory"), std::string::npos);
}

TEST(TlsContextTest, AnEncryptedKeyIsRefusedWithoutAPrompt) {
  const std::string encrypted = (certs().dir / "encrypted.key").string();
  const std::string command = "openssl pkey -in '" + certs().server.private_key +
                              "' -aes256 -passout pass:secret -out '" + encrypted + "'";
  ASSERT_EQ(std::system(command.c_str()), 0);
  config::TlsConfig tls = certs().server_config();
  tls.private_key = encrypted;
  EXPECT_NE(server_error(tls).find("is encrypted"), std::string::npos);
}

TEST(TlsContextTest, TheCaFileIsCheckedAndRequiredForClientCertificates) {
  config::TlsConfig tls = certs().server_config(true);
  tls.ca = certs().not_pem;
  EXPECT_NE(server_error(tls).find("listener lis: TLS CA file '" + certs().not_pem +
                                   "' holds no usable CA certificate ("),
            std::string::npos);
  tls.ca = (certs().dir / "missing-ca.pem").string();
  EXPECT_NE(server_error(tls).find("CA file '" + tls.ca + "': cannot read"), std::string::npos);
  tls.ca.clear();
  EXPECT_NE(server_error(tls).find("require_client_certificate needs a `ca`"), std::string::npos);
  EXPECT_NE(server_error(config::TlsConfig{}).find("needs both `certificate` and `private_key`"),
            std::string::npos);
}

TEST(TlsContextTest, AnExpiredOwnCertificateStartsWithAnErrorNamingTheDate) {
  LogCapture log;
  auto context = make_server_context(with_pair(certs().expired), "listener lis");
  ASSERT_TRUE(context) << context.error();
  const auto expiry = certificate_expiry(**context);
  ASSERT_TRUE(expiry);
  EXPECT_EQ(unix_seconds(*expiry), 1580515200);  // 2020-02-01 00:00:00 UTC
  EXPECT_NE(log.text().find("[error] listener lis: TLS certificate '" +
                            certs().expired.certificate + "' expired on 2020-02-01 00:00:00 UTC"),
            std::string::npos)
      << log.text();
}

TEST(TlsContextTest, ANotYetValidOwnCertificateStartsWithAnError) {
  LogCapture log;
  ASSERT_TRUE(make_server_context(with_pair(certs().not_yet_valid), "listener lis"));
  EXPECT_NE(log.text().find("is not valid before 2099-01-01 00:00:00 UTC"), std::string::npos)
      << log.text();
}

TEST(TlsContextTest, ClientContextsCheckTheirFiles) {
  EXPECT_TRUE(make_client_context(config::TlsConfig{}, true, "destination ris"));  // system CAs
  EXPECT_TRUE(make_client_context(certs().client_config(&certs().client), true, "d"));
  config::TlsConfig half = certs().client_config();
  half.certificate = certs().client.certificate;
  auto context = make_client_context(half, true, "destination ris");
  ASSERT_FALSE(context);
  EXPECT_NE(context.error().find("destination ris: TLS client certificate needs both"),
            std::string::npos);
  config::TlsConfig bad_ca = certs().client_config();
  bad_ca.ca = certs().not_pem;
  EXPECT_FALSE(make_client_context(bad_ca, true, "destination ris"));
  // Without verification the CA is not read.
  EXPECT_TRUE(make_client_context(bad_ca, false, "destination ris"));
}

TEST(TlsHandshakeTest, AVerifyingClientAcceptsTheServerByNameAndByAddress) {
  auto server = server_context(certs().server_config());
  auto client = client_context(certs().client_config());
  for (const char* name : {"localhost", "127.0.0.1", "::1"}) {
    const HandshakeResult result = handshake(*server, *client, name);
    EXPECT_EQ(result.client, "") << name;
    EXPECT_EQ(result.server, "") << name;
  }
}

TEST(TlsHandshakeTest, TheClientSaysWhyTheServerCertificateFails) {
  auto client = client_context(certs().client_config());
  auto expired = server_context(with_pair(certs().expired));
  EXPECT_EQ(handshake(*expired, *client, "localhost").client,
            "certificate verify failed: certificate has expired");
  auto wrong_host = server_context(with_pair(certs().wrong_host));
  EXPECT_EQ(handshake(*wrong_host, *client, "localhost").client,
            "certificate verify failed: hostname mismatch");
  EXPECT_EQ(handshake(*wrong_host, *client, "127.0.0.1").client,
            "certificate verify failed: IP address mismatch");
  auto foreign = server_context(with_pair(certs().foreign));
  EXPECT_EQ(handshake(*foreign, *client, "localhost").client,
            "certificate verify failed: unable to get local issuer certificate");
}

TEST(TlsHandshakeTest, ANonVerifyingClientTakesAnyCertificate) {
  auto client = client_context(config::TlsConfig{}, false);
  auto expired = server_context(with_pair(certs().expired));
  EXPECT_EQ(handshake(*expired, *client, "localhost").client, "");
}

TEST(TlsHandshakeTest, MutualTlsTakesOnlyClientCertificatesOfTheCa) {
  auto server = server_context(certs().server_config(true));
  auto with_client = client_context(certs().client_config(&certs().client));
  EXPECT_EQ(handshake(*server, *with_client, "localhost").server, "");
  auto without = client_context(certs().client_config());
  EXPECT_EQ(handshake(*server, *without, "localhost").server,
            "peer did not return a certificate");
  auto foreign = client_context(certs().client_config(&certs().foreign));
  EXPECT_EQ(handshake(*server, *foreign, "localhost").server,
            "certificate verify failed: unable to get local issuer certificate");
  auto expired = client_context(certs().client_config(&certs().expired));
  EXPECT_EQ(handshake(*server, *expired, "localhost").server,
            "certificate verify failed: certificate has expired");
}

TEST(TlsHandshakeTest, TlsBelowOnePointTwoIsRefused) {
  auto server = server_context(certs().server_config());
  net::ssl::context old(net::ssl::context::tls_client);
  SSL_CTX_set_security_level(old.native_handle(), 0);
  SSL_CTX_set_min_proto_version(old.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(old.native_handle(), TLS1_1_VERSION);
  const HandshakeResult result = handshake(*server, old, "");
  EXPECT_NE(result.server, "");
  EXPECT_NE(result.client, "");
}

TEST(TlsHandshakeTest, AServerNameMustBeGiven) {
  net::io_context ioc;
  auto client = client_context(certs().client_config());
  net::ssl::stream<tcp::socket> stream(ioc, *client);
  EXPECT_FALSE(expect_server_name(stream.native_handle(), ""));
}

TEST(TlsFormatTest, FormatsUtc) {
  EXPECT_EQ(format_utc(std::chrono::system_clock::from_time_t(1580515200)),
            "2020-02-01 00:00:00 UTC");
}

}  // namespace
}  // namespace hisbridge::tls
