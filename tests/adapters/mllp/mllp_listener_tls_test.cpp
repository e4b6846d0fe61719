// The MLLP listener over TLS: real sockets on loopback, certificates made by the openssl
// command (hisbridge_test_certs), a TLS client through Asio.
#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/ssl.hpp>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "adapters/mllp/framer.hpp"
#include "adapters/mllp/mllp_listener.hpp"
#include "adapters/tls/tls_context.hpp"
#include "tests/adapters/adapter_test_support.hpp"
#include "tests/adapters/mllp/raw_mllp_client.hpp"
#include "tests/adapters/mllp/tls_mllp_client.hpp"
#include "tests/adapters/tls/test_certs.hpp"
#include "tests/support/log_capture.hpp"

namespace hisbridge::mllp {
namespace {

using testing_support::LogCapture;

namespace net = boost::asio;
using namespace std::chrono_literals;
using testing::FakeSourceCallbacks;
using testing::IoThread;
using testing::RawMllpClient;
using testing::test_certs;
using testing::TlsMllpClient;

std::string message(std::string_view control_id) {
  return "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01^ORU_R01|" + std::string(control_id) +
         "|P|2.5\rPID|1||12345^^^HOSP^MR||NGUYEN^VAN A\r";
}

std::shared_ptr<net::ssl::context> server_context(const config::TlsConfig& tls) {
  auto context = tls::make_server_context(tls, "listener lis");
  EXPECT_TRUE(context) << (context ? "" : context.error());
  return context ? *context : nullptr;
}

std::shared_ptr<net::ssl::context> client_context(const testing::CertAndKey* identity = nullptr) {
  auto context = tls::make_client_context(test_certs().client_config(identity), true, "test");
  EXPECT_TRUE(context) << (context ? "" : context.error());
  return context ? *context : nullptr;
}

MllpListenerOptions tls_options(const config::TlsConfig& tls) {
  MllpListenerOptions o;
  o.name = "lis";
  o.host = "127.0.0.1";
  o.idle_timeout = 30s;
  o.tls = server_context(tls);
  return o;
}

// A listener on its own io thread, fed to a fake ingest; torn down in the order the listener
// asks for (the listener, the io thread, the fake's last replies, then the io_context).
struct Listening {
  explicit Listening(MllpListenerOptions options) : listener(io.ioc(), std::move(options), engine) {
    auto started = listener.start();
    EXPECT_TRUE(started) << started.error().message();
  }
  // The replies the fake still holds post to their sessions' strands: they run after the
  // io thread has stopped but before its io_context (and the strands) is destroyed.
  ~Listening() {
    listener.stop();
    io.stop();
    engine.stop();
  }
  std::uint16_t port() const { return listener.port(); }
  const MllpListenerCounters& counters() const { return listener.counters(); }

  // Declared first, destroyed last: the listener's connections call it until the io thread
  // has stopped (a paced read's timer may fire after the listener is stopped).
  FakeSourceCallbacks engine;
  IoThread io;
  MllpListener listener;
};

bool eventually(const std::function<bool()>& done) { return testing::wait_until(done); }

TEST(MllpListenerTlsTest, AMessageOverTlsIsHandedInAndAcknowledged) {
  Listening l(tls_options(test_certs().server_config()));
  auto context = client_context();
  TlsMllpClient client(l.port(), *context);
  ASSERT_EQ(client.handshake("localhost"), boost::system::error_code());
  ASSERT_TRUE(client.send(encode_frame(message("C1"))));
  const auto ack = client.read_frame();
  ASSERT_TRUE(ack);
  EXPECT_NE(ack->find("MSA|AA|C1"), std::string::npos) << *ack;
  ASSERT_EQ(l.engine.received_count(), 1u);
  EXPECT_EQ(l.engine.received()[0].raw, message("C1"));
  EXPECT_EQ(l.counters().tls_handshake_failures.load(), 0u);
  EXPECT_EQ(l.counters().frames.load(), 1u);
}

TEST(MllpListenerTlsTest, TheListenerReportsItsCertificatesExpiry) {
  Listening tls(tls_options(test_certs().server_config()));
  EXPECT_TRUE(tls.listener.certificate_expiry());
  MllpListenerOptions plain;
  plain.host = "127.0.0.1";
  Listening without(plain);
  EXPECT_FALSE(without.listener.certificate_expiry());
}

// The SHA-256 fingerprint of the certificate the server showed `client`, as
// tls::certificate_fingerprint writes it.
std::string served_fingerprint(TlsMllpClient& client) {
  X509* shown = SSL_get_peer_certificate(client.native_handle());
  if (shown == nullptr) {
    return {};
  }
  net::ssl::context holder(net::ssl::context::tls_client);
  SSL_CTX_use_certificate(holder.native_handle(), shown);
  X509_free(shown);
  return tls::certificate_fingerprint(holder);
}

TEST(MllpListenerTlsTest, AReplacedContextServesNewConnectionsAndOpenOnesGoOn) {
  const auto first = server_context(test_certs().server_config());
  MllpListenerOptions o = tls_options(test_certs().server_config());
  o.tls = first;
  Listening l(o);
  auto context = client_context();
  TlsMllpClient before(l.port(), *context);
  ASSERT_EQ(before.handshake(), boost::system::error_code());
  EXPECT_EQ(served_fingerprint(before), tls::certificate_fingerprint(*first));

  // Another certificate of the same CA, for another name: the client checks that name.
  config::TlsConfig renewed = test_certs().server_config();
  renewed.certificate = test_certs().wrong_host.certificate;
  renewed.private_key = test_certs().wrong_host.private_key;
  const auto second = server_context(renewed);
  ASSERT_NE(tls::certificate_fingerprint(*second), tls::certificate_fingerprint(*first));
  ASSERT_TRUE(l.listener.replace_tls_context(second));
  EXPECT_EQ(l.listener.tls_context(), second);

  TlsMllpClient after(l.port(), *context);
  ASSERT_EQ(after.handshake("wrong.example.org"), boost::system::error_code());
  EXPECT_EQ(served_fingerprint(after), tls::certificate_fingerprint(*second));
  ASSERT_TRUE(after.send(encode_frame(message("AFTER"))));
  ASSERT_TRUE(after.read_frame());

  // The connection made with the first context still carries messages.
  ASSERT_TRUE(before.send(encode_frame(message("BEFORE"))));
  const auto ack = before.read_frame();
  ASSERT_TRUE(ack);
  EXPECT_NE(ack->find("MSA|AA|BEFORE"), std::string::npos) << *ack;
  EXPECT_EQ(l.engine.received_count(), 2u);
  EXPECT_EQ(l.counters().tls_handshake_failures.load(), 0u);
}

TEST(MllpListenerTlsTest, APlainListenerTakesNoContext) {
  MllpListenerOptions plain;
  plain.host = "127.0.0.1";
  Listening l(plain);
  EXPECT_FALSE(l.listener.replace_tls_context(server_context(test_certs().server_config())));
  EXPECT_EQ(l.listener.tls_context(), nullptr);
  EXPECT_FALSE(l.listener.certificate_expiry());
}

TEST(MllpListenerTlsTest, MutualTlsTakesTheCasClientCertificate) {
  Listening l(tls_options(test_certs().server_config(true)));
  auto context = client_context(&test_certs().client);
  TlsMllpClient client(l.port(), *context);
  ASSERT_EQ(client.handshake(), boost::system::error_code());
  ASSERT_TRUE(client.send(encode_frame(message("C2"))));
  ASSERT_TRUE(client.read_frame());
  EXPECT_EQ(l.counters().tls_handshake_failures.load(), 0u);
}

// Under TLS 1.3 the client's handshake ends before the server has checked its certificate:
// the refusal comes as an alert on the first read, and nothing is handed in.
void expect_refused(const testing::CertAndKey* identity, const std::string& logged) {
  LogCapture log;
  Listening l(tls_options(test_certs().server_config(true)));
  auto context = client_context(identity);
  TlsMllpClient client(l.port(), *context);
  (void)client.handshake();
  (void)client.send(encode_frame(message("C3")));
  EXPECT_NE(client.wait_closed(), boost::asio::error::timed_out);
  ASSERT_TRUE(eventually([&] { return l.counters().tls_handshake_failures == 1; }));
  EXPECT_TRUE(eventually([&] { return l.counters().connections_open == 0; }));
  EXPECT_EQ(l.engine.received_count(), 0u);
  EXPECT_EQ(l.counters().frames.load(), 0u);
  const std::string text = log.text();
  EXPECT_NE(text.find("[warning] mllp lis: 127.0.0.1:"), std::string::npos) << text;
  EXPECT_NE(text.find("TLS handshake failed: " + logged), std::string::npos) << text;
}

TEST(MllpListenerTlsTest, MutualTlsRefusesAClientWithoutACertificate) {
  expect_refused(nullptr, "peer did not return a certificate");
}

TEST(MllpListenerTlsTest, MutualTlsRefusesAnExpiredClientCertificate) {
  expect_refused(&test_certs().expired, "certificate verify failed: certificate has expired");
}

TEST(MllpListenerTlsTest, MutualTlsRefusesAClientCertificateOfAnotherCa) {
  expect_refused(&test_certs().foreign,
                 "certificate verify failed: unable to get local issuer certificate");
}

TEST(MllpListenerTlsTest, PlainMllpToATlsPortIsAHandshakeFailureAndNeverLogsTheBytes) {
  LogCapture log;
  Listening l(tls_options(test_certs().server_config()));
  RawMllpClient plain(l.port());
  ASSERT_TRUE(plain.send(encode_frame(message("SECRET-CONTROL-ID"))));
  EXPECT_TRUE(plain.wait_closed(10s));
  ASSERT_TRUE(eventually([&] { return l.counters().tls_handshake_failures == 1; }));
  EXPECT_EQ(l.engine.received_count(), 0u);
  const std::string text = log.text();
  EXPECT_NE(text.find("TLS handshake failed"), std::string::npos) << text;
  EXPECT_EQ(text.find("SECRET"), std::string::npos) << text;
  EXPECT_EQ(text.find("NGUYEN"), std::string::npos) << text;
}

TEST(MllpListenerTlsTest, TlsBelowOnePointTwoIsRefused) {
  Listening l(tls_options(test_certs().server_config()));
  net::ssl::context old(net::ssl::context::tls_client);
  SSL_CTX_set_security_level(old.native_handle(), 0);
  SSL_CTX_set_min_proto_version(old.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(old.native_handle(), TLS1_1_VERSION);
  TlsMllpClient client(l.port(), old);
  EXPECT_TRUE(client.handshake(""));
  EXPECT_TRUE(eventually([&] { return l.counters().tls_handshake_failures == 1; }));
}

TEST(MllpListenerTlsTest, APortCheckThatSendsNothingIsNotAFailure) {
  Listening l(tls_options(test_certs().server_config()));
  {
    RawMllpClient check(l.port());
    ASSERT_TRUE(check.connected());
    ASSERT_TRUE(eventually([&] { return l.counters().connections_accepted == 1; }));
  }
  ASSERT_TRUE(eventually([&] { return l.counters().connections_open == 0; }));
  EXPECT_EQ(l.counters().tls_handshake_failures.load(), 0u);
}

TEST(MllpListenerTlsTest, AHandshakeNeverBegunTimesOut) {
  MllpListenerOptions o = tls_options(test_certs().server_config());
  o.handshake_timeout = 200ms;
  Listening l(o);
  RawMllpClient silent(l.port());
  EXPECT_TRUE(silent.wait_closed(10s));
  EXPECT_TRUE(eventually([&] { return l.counters().tls_handshake_failures == 1; }));
}

// The listener closes (here for idleness) with a close_notify, which the client reads as the
// end of the stream rather than a truncation.
TEST(MllpListenerTlsTest, ClosingSendsCloseNotify) {
  MllpListenerOptions o = tls_options(test_certs().server_config());
  o.idle_timeout = 300ms;
  Listening l(o);
  auto context = client_context();
  TlsMllpClient client(l.port(), *context);
  ASSERT_EQ(client.handshake(), boost::system::error_code());
  EXPECT_EQ(client.wait_closed(), boost::asio::error::eof);
  EXPECT_EQ(l.counters().idle_timeouts.load(), 1u);
  EXPECT_TRUE(eventually([&] { return l.counters().connections_open == 0; }));
}

// Stopping sends close_notify too; the listener does not wait for the peer's answer for long
// (this client never gives one).
TEST(MllpListenerTlsTest, StopClosesTlsConnections) {
  auto l = std::make_unique<Listening>(tls_options(test_certs().server_config()));
  auto context = client_context();
  TlsMllpClient client(l->port(), *context);
  ASSERT_EQ(client.handshake(), boost::system::error_code());
  // An answered message: the server is past its side of the handshake too.
  ASSERT_TRUE(client.send(encode_frame(message("C1"))));
  ASSERT_TRUE(client.read_frame());
  l->listener.stop();
  EXPECT_EQ(client.wait_closed(), boost::asio::error::eof);
  EXPECT_TRUE(eventually([&] { return l->counters().connections_open == 0; }));
  l.reset();
}

}  // namespace
}  // namespace hisbridge::mllp
