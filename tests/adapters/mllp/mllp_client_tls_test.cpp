// The MLLP client and destination over TLS, against the MLLP listener over TLS: the server's
// certificate chain and name are verified, and a certificate that fails says why.
#include <array>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "adapters/mllp/error.hpp"
#include "adapters/mllp/framer.hpp"
#include "adapters/mllp/mllp_client.hpp"
#include "adapters/mllp/mllp_destination.hpp"
#include "adapters/mllp/mllp_listener.hpp"
#include "adapters/tls/tls_context.hpp"
#include "tests/adapters/adapter_test_support.hpp"
#include "tests/adapters/tls/test_certs.hpp"

namespace hisbridge::mllp {
namespace {

using namespace std::chrono_literals;
using testing::CertAndKey;
using testing::FakeSourceCallbacks;
using testing::IoThread;
using testing::test_certs;
using Context = boost::asio::ssl::context;

std::string message(std::string_view control_id) {
  return "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01^ORU_R01|" + std::string(control_id) +
         "|P|2.5\rPID|1||12345^^^HOSP^MR||NGUYEN^VAN A\r";
}

config::TlsConfig with_pair(const CertAndKey& pair, bool require_client = false) {
  config::TlsConfig tls = test_certs().server_config(require_client);
  tls.certificate = pair.certificate;
  tls.private_key = pair.private_key;
  return tls;
}

// A TLS MLLP listener with the given certificate, on its own io thread.
struct Server {
  explicit Server(const config::TlsConfig& tls) : listener(io.ioc(), options(tls), engine) {
    auto started = listener.start();
    EXPECT_TRUE(started) << started.error().message();
  }
  // The replies the fake still holds post to their sessions' strands: they run after the
  // io thread has stopped but before its io_context (and the strands) is destroyed.
  ~Server() {
    listener.stop();
    io.stop();
    engine.stop();
  }
  static MllpListenerOptions options(const config::TlsConfig& tls) {
    MllpListenerOptions o;
    o.name = "his";
    o.host = "127.0.0.1";
    auto context = tls::make_server_context(tls, "listener his");
    EXPECT_TRUE(context) << (context ? "" : context.error());
    o.tls = context ? *context : nullptr;
    return o;
  }
  std::uint16_t port() const { return listener.port(); }
  std::string peer() const { return "127.0.0.1:" + std::to_string(port()); }

  // Declared first, destroyed last: the listener's connections call it until the io thread
  // has stopped (a paced read's timer may fire after the listener is stopped).
  FakeSourceCallbacks engine;
  IoThread io;
  MllpListener listener;
};

ClientOptions client_options(const CertAndKey* identity = nullptr, bool verify = true) {
  ClientOptions o;
  o.timeout = 10s;
  auto context = tls::make_client_context(test_certs().client_config(identity), verify, "test");
  EXPECT_TRUE(context) << (context ? "" : context.error());
  o.tls = context ? *context : nullptr;
  return o;
}

TEST(MllpClientTlsTest, VerifiesTheServerAndSendsOverOneConnection) {
  Server server(test_certs().server_config());
  MllpClient client("localhost", server.port(), client_options());
  for (const char* id : {"C1", "C2"}) {
    auto ack = client.send(message(id));
    ASSERT_TRUE(ack) << ack.error().message() << ": " << client.tls_error();
    EXPECT_NE(ack->find(std::string("MSA|AA|") + id), std::string::npos);
  }
  EXPECT_EQ(server.listener.counters().connections_accepted.load(), 1u);
  EXPECT_EQ(server.engine.received_count(), 2u);
}

// One TLS connection served on its own thread, blocking: reads a frame, answers AA, then reads
// on until the client ends and keeps how: net::error::eof after a close_notify,
// ssl::error::stream_truncated when the TCP connection was cut without one.
class OneConnectionTlsServer {
 public:
  OneConnectionTlsServer()
      : context_(*tls::make_server_context(test_certs().server_config(), "test")),
        acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
        thread_([this] { serve(); }) {}
  ~OneConnectionTlsServer() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  // Waits for the client's end (at most 10 s).
  boost::system::error_code ending() {
    std::unique_lock lock(mutex_);
    ended_.wait_for(lock, 10s, [&] { return ending_.has_value(); });
    return ending_.value_or(boost::asio::error::timed_out);
  }

 private:
  void serve() {
    boost::system::error_code ec;
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream(ioc_, *context_);
    acceptor_.accept(stream.next_layer(), ec);
    if (!ec) {
      stream.handshake(boost::asio::ssl::stream_base::server, ec);
    }
    std::string got;
    std::array<char, 4096> buffer{};
    while (!ec && got.find("\x1c\r") == std::string::npos) {
      got.append(buffer.data(), stream.read_some(boost::asio::buffer(buffer), ec));
    }
    if (!ec) {
      const std::string ack = encode_frame(
          "MSH|^~\\&|HIS|HOSP|LIS|LAB|20260305081501||ACK|A1|P|2.5\rMSA|AA|C1\r");
      boost::asio::write(stream, boost::asio::buffer(ack), ec);
    }
    while (!ec) {
      stream.read_some(boost::asio::buffer(buffer), ec);
    }
    if (ec == boost::asio::error::eof) {
      stream.shutdown(ec);  // the answering close_notify
      ec = boost::asio::error::eof;
    }
    const std::lock_guard lock(mutex_);
    ending_ = ec;
    ended_.notify_all();
  }

  std::shared_ptr<Context> context_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::mutex mutex_;
  std::condition_variable ended_;
  std::optional<boost::system::error_code> ending_;
  std::thread thread_;
};

TEST(MllpClientTlsTest, ClosingEndsTheSessionWithCloseNotify) {
  OneConnectionTlsServer server;
  {
    MllpClient client("localhost", server.port(), client_options());
    auto ack = client.send(message("C1"));
    ASSERT_TRUE(ack) << ack.error().message() << ": " << client.tls_error();
    client.close();
    EXPECT_FALSE(client.connected());
  }
  EXPECT_EQ(server.ending(), boost::asio::error::eof) << server.ending().message();
}

TEST(MllpClientTlsTest, TheDestructorClosesWithCloseNotifyToo) {
  OneConnectionTlsServer server;
  {
    MllpClient client("localhost", server.port(), client_options());
    ASSERT_TRUE(client.send(message("C1")));
  }
  EXPECT_EQ(server.ending(), boost::asio::error::eof) << server.ending().message();
}

TEST(MllpClientTlsTest, AReplacedContextServesTheNextConnection) {
  Server server(test_certs().server_config());
  MllpClient client("localhost", server.port(), client_options());
  ASSERT_TRUE(client.send(message("C1")));
  // Trusting another CA only: a new connection would refuse this server's certificate.
  config::TlsConfig other = test_certs().client_config();
  other.ca = test_certs().other_ca;
  auto next = tls::make_client_context(other, true, "test");
  ASSERT_TRUE(next) << next.error();
  ASSERT_TRUE(client.replace_tls_context(*next));
  EXPECT_EQ(client.tls_context(), *next);
  // The open connection goes on with its own context.
  auto ack = client.send(message("C2"));
  ASSERT_TRUE(ack) << ack.error().message() << ": " << client.tls_error();
  EXPECT_EQ(server.listener.counters().connections_accepted.load(), 1u);
  // The next one is made with the new context.
  client.close();
  ack = client.send(message("C3"));
  ASSERT_FALSE(ack);
  EXPECT_EQ(ack.error(), make_error_code(Error::tls_failed));
  EXPECT_NE(client.tls_error().find("certificate verify failed"), std::string::npos)
      << client.tls_error();
  EXPECT_EQ(server.engine.received_count(), 2u);
}

TEST(MllpClientTlsTest, APlainClientTakesNoContext) {
  MllpClient client("localhost", 1, ClientOptions{});
  EXPECT_EQ(client.tls_context(), nullptr);
  EXPECT_FALSE(client.replace_tls_context(*tls::make_client_context(
      test_certs().client_config(), true, "test")));
}

TEST(MllpClientTlsTest, AnAddressIsCheckedAgainstTheCertificatesAddresses) {
  Server server(test_certs().server_config());
  MllpClient client("127.0.0.1", server.port(), client_options());
  auto ack = client.send(message("C1"));
  EXPECT_TRUE(ack) << client.tls_error();
}

void expect_refused(const config::TlsConfig& server_tls, const std::string& why,
                    const std::string& server_name = "") {
  Server server(server_tls);
  ClientOptions o = client_options();
  o.server_name = server_name;
  MllpClient client("localhost", server.port(), o);
  auto ack = client.send(message("C1"));
  ASSERT_FALSE(ack);
  EXPECT_EQ(ack.error(), make_error_code(Error::tls_failed));
  EXPECT_EQ(client.tls_error(), why + " (peer " + server.peer() + ")");
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(server.engine.received_count(), 0u);
}

TEST(MllpClientTlsTest, RefusesAnExpiredServerCertificate) {
  expect_refused(with_pair(test_certs().expired),
                 "certificate verify failed: certificate has expired");
}

TEST(MllpClientTlsTest, RefusesACertificateForAnotherHost) {
  expect_refused(with_pair(test_certs().wrong_host), "certificate verify failed: hostname mismatch");
}

TEST(MllpClientTlsTest, RefusesACertificateOfAnotherCa) {
  expect_refused(with_pair(test_certs().foreign),
                 "certificate verify failed: unable to get local issuer certificate");
}

TEST(MllpClientTlsTest, ServerNameOverridesTheHost) {
  expect_refused(test_certs().server_config(), "certificate verify failed: hostname mismatch",
                 "wrong.example.org");
  Server server(with_pair(test_certs().wrong_host));
  ClientOptions o = client_options();
  o.server_name = "wrong.example.org";
  MllpClient client("127.0.0.1", server.port(), o);
  EXPECT_TRUE(client.send(message("C1"))) << client.tls_error();
}

TEST(MllpClientTlsTest, WithoutVerificationAnyCertificateIsTaken) {
  Server server(with_pair(test_certs().expired));
  MllpClient client("localhost", server.port(), client_options(nullptr, false));
  EXPECT_TRUE(client.send(message("C1"))) << client.tls_error();
}

TEST(MllpClientTlsTest, MutualTlsWithTheClientCertificate) {
  Server server(test_certs().server_config(true));
  MllpClient client("localhost", server.port(), client_options(&test_certs().client));
  EXPECT_TRUE(client.send(message("C1"))) << client.tls_error();
}

// Under TLS 1.3 the server's refusal arrives as an alert after the client's handshake.
TEST(MllpClientTlsTest, MutualTlsWithoutACertificateFailsWithTheServersAlert) {
  Server server(test_certs().server_config(true));
  MllpClient client("localhost", server.port(), client_options());
  auto ack = client.send(message("C1"));
  ASSERT_FALSE(ack);
  EXPECT_EQ(ack.error(), make_error_code(Error::tls_failed));
  EXPECT_NE(client.tls_error().find("certificate required"), std::string::npos)
      << client.tls_error();
  EXPECT_EQ(server.engine.received_count(), 0u);
}

TEST(MllpClientTlsTest, PlainClientAndTlsServerDoNotMix) {
  Server server(test_certs().server_config());
  ClientOptions plain;
  plain.timeout = 2s;
  MllpClient client("127.0.0.1", server.port(), plain);
  EXPECT_FALSE(client.send(message("C1")));
  EXPECT_EQ(server.engine.received_count(), 0u);
}

TEST(MllpDestinationTlsTest, ACertificateThatFailsIsARetryNamingWhy) {
  Server server(with_pair(test_certs().expired));
  MllpDestinationOptions options;
  options.host = "localhost";
  options.port = server.port();
  options.timeout = 10s;
  options.tls = client_options().tls;
  MllpDestination destination("ris-forward", options);
  store::StoredMessage stored;
  stored.id = 7;
  stored.message.raw = message("C7");
  stored.message.control_id = "C7";
  const mapping::MappingOutput output;
  const router::Delivery d = destination.deliver({stored, nullptr, output});
  EXPECT_EQ(d.outcome, router::Delivery::Outcome::retry);
  EXPECT_EQ(d.reason, "localhost:" + std::to_string(server.port()) +
                          ": TLS: certificate verify failed: certificate has expired (peer " +
                          server.peer() + ")");
  EXPECT_EQ(server.engine.received_count(), 0u);
}

TEST(MllpDestinationTlsTest, DeliversOverTls) {
  Server server(test_certs().server_config(true));
  MllpDestinationOptions options;
  options.host = "127.0.0.1";
  options.port = server.port();
  options.server_name = "localhost";
  options.tls = client_options(&test_certs().client).tls;
  MllpDestination destination("ris-forward", options);
  store::StoredMessage stored;
  stored.id = 8;
  stored.message.raw = message("C8");
  stored.message.control_id = "C8";
  const mapping::MappingOutput output;
  const router::Delivery d = destination.deliver({stored, nullptr, output});
  EXPECT_EQ(d.outcome, router::Delivery::Outcome::delivered) << d.reason;
  EXPECT_EQ(server.engine.received_count(), 1u);
}

}  // namespace
}  // namespace hisbridge::mllp
