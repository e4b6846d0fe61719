// Reading a server's TLS files again on a config reload (tls_reload.hpp), with certificates
// the openssl command made: a renewed file replaces the context, a broken one leaves it.
#include "engine/app/tls_reload.hpp"

#include <filesystem>
#include <memory>

#include <gtest/gtest.h>

#include "adapters/tls/tls_context.hpp"
#include "tests/adapters/tls/test_certs.hpp"

namespace hisbridge::app {
namespace {

using Context = boost::asio::ssl::context;
using hisbridge::testing::test_certs;

// A server as the engine's listeners are: a current context and its replacement.
struct FakeServer {
  explicit FakeServer(std::shared_ptr<Context> initial) : context(std::move(initial)) {}

  TlsEndpoint server(const config::TlsConfig& tls) {
    return {"listener lis", &tls, [this] { return context; },
            [this](std::shared_ptr<Context> next) {
              ++replaced;
              if (!context) {
                return false;
              }
              context = std::move(next);
              return true;
            }};
  }

  std::shared_ptr<Context> context;
  int replaced = 0;
};

std::shared_ptr<Context> context_of(const config::TlsConfig& tls) {
  auto made = tls::make_server_context(tls, "test");
  EXPECT_TRUE(made) << (made ? "" : made.error());
  return made ? *made : nullptr;
}

TEST(TlsRereadTest, TheSameFilesGiveAFreshContextWithTheSameCertificate) {
  const config::TlsConfig tls = test_certs().server_config();
  const auto first = context_of(tls);
  FakeServer s(first);
  const TlsReread done = reread_tls(s.server(tls));
  EXPECT_TRUE(done.replaced);
  EXPECT_EQ(done.server, "listener lis");
  EXPECT_NE(s.context, first);
  EXPECT_EQ(done.detail.find("certificate unchanged, expires "), 0u) << done.detail;
}

TEST(TlsRereadTest, ARenewedCertificateIsTakenAndNamedByItsFingerprint) {
  config::TlsConfig tls = test_certs().server_config();
  FakeServer s(context_of(tls));
  tls.certificate = test_certs().wrong_host.certificate;
  tls.private_key = test_certs().wrong_host.private_key;
  const TlsReread done = reread_tls(s.server(tls));
  ASSERT_TRUE(done.replaced) << done.detail;
  const std::string fingerprint = tls::certificate_fingerprint(*s.context);
  EXPECT_EQ(fingerprint.size(), 32u * 3 - 1);
  EXPECT_EQ(done.detail.find("new certificate, expires "), 0u) << done.detail;
  EXPECT_NE(done.detail.find("(SHA-256 " + fingerprint + ")"), std::string::npos) << done.detail;
}

TEST(TlsRereadTest, ABrokenFileLeavesTheRunningContext) {
  config::TlsConfig tls = test_certs().server_config();
  const auto first = context_of(tls);
  FakeServer s(first);
  tls.certificate = test_certs().not_pem;
  TlsReread done = reread_tls(s.server(tls));
  EXPECT_FALSE(done.replaced);
  EXPECT_EQ(s.replaced, 0);
  EXPECT_EQ(s.context, first);
  EXPECT_NE(done.detail.find("listener lis: TLS certificate '" + test_certs().not_pem +
                             "' is not a PEM certificate"),
            std::string::npos)
      << done.detail;
  EXPECT_NE(done.detail.find("the running certificate stays"), std::string::npos);

  // A key of another certificate: refused as at start.
  tls = test_certs().server_config();
  tls.private_key = test_certs().client.private_key;
  done = reread_tls(s.server(tls));
  EXPECT_FALSE(done.replaced);
  EXPECT_NE(done.detail.find("does not match"), std::string::npos) << done.detail;
  EXPECT_EQ(s.context, first);
}

TEST(TlsRereadTest, ADestinationsClientContextIsReadAgain) {
  // Without a certificate of its own: the CA it checks servers against.
  config::TlsConfig tls = test_certs().client_config();
  auto first = tls::make_client_context(tls, true, "test");
  ASSERT_TRUE(first) << first.error();
  FakeServer s(*first);
  TlsEndpoint endpoint = s.server(tls);
  endpoint.name = "destination lab/his";
  endpoint.client = true;
  TlsReread done = reread_tls(endpoint);
  EXPECT_TRUE(done.replaced) << done.detail;
  EXPECT_EQ(done.server, "destination lab/his");
  EXPECT_EQ(done.detail, "CA files read again (no certificate of its own)");
  EXPECT_NE(s.context, *first);

  // With one (mutual TLS): named like a server's.
  tls = test_certs().client_config(&test_certs().client);
  endpoint.tls = &tls;
  done = reread_tls(endpoint);
  EXPECT_TRUE(done.replaced) << done.detail;
  EXPECT_EQ(done.detail.find("new certificate, expires "), 0u) << done.detail;

  // A CA file that is not PEM leaves the running context.
  const auto running = s.context;
  tls.ca = test_certs().not_pem;
  done = reread_tls(endpoint);
  EXPECT_FALSE(done.replaced);
  EXPECT_EQ(s.context, running);
  EXPECT_NE(done.detail.find("the running certificate stays"), std::string::npos) << done.detail;
}

TEST(TlsRereadTest, AServerWithoutTlsStaysWithout) {
  const config::TlsConfig tls = test_certs().server_config();
  FakeServer s(nullptr);
  const TlsReread done = reread_tls(s.server(tls));
  EXPECT_FALSE(done.replaced);
  EXPECT_EQ(s.context, nullptr);
  EXPECT_EQ(done.detail, "runs without TLS; TLS waits for a restart");
}

TEST(TlsExpiryTest, ACertificateIsWarnedAboutWithinItsLastDays) {
  using std::chrono::hours;
  const auto now = std::chrono::system_clock::from_time_t(1'780'000'000);
  EXPECT_FALSE(expiry_warning("listener lis", now + hours(24 * 30), now, 30));
  EXPECT_EQ(expiry_warning("listener lis", now + hours(24 * 29 + 23), now, 30).value_or(""),
            "listener lis: the TLS certificate expires in 29 days (2026-06-27 19:26:40 UTC): "
            "renew it, then systemctl reload hisbridge");
  EXPECT_NE(expiry_warning("admin", now + hours(30), now, 30).value_or("").find("in 1 day ("),
            std::string::npos);
  EXPECT_EQ(expiry_warning("admin", now - hours(1), now, 30).value_or(""),
            "admin: the TLS certificate expired on 2026-05-28 19:26:40 UTC: peers that check it "
            "refuse the connection; renew it, then systemctl reload hisbridge");
}

TEST(TlsExpiryTest, TheExpiryIsThatOfTheContextNewConnectionsGet) {
  const config::TlsConfig tls = test_certs().server_config();
  FakeServer with(context_of(tls));
  EXPECT_EQ(certificate_expiry(with.server(tls)), tls::certificate_expiry(*with.context));
  EXPECT_TRUE(certificate_expiry(with.server(tls)));
  FakeServer without(nullptr);
  EXPECT_FALSE(certificate_expiry(without.server(tls)));
}

}  // namespace
}  // namespace hisbridge::app
