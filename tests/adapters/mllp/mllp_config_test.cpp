#include "adapters/mllp/mllp_config.hpp"

#include <gtest/gtest.h>

#include "tests/adapters/tls/test_certs.hpp"

namespace hisbridge::mllp {
namespace {

using namespace std::chrono_literals;
using testing::test_certs;

config::ListenerConfig listener() {
  config::ListenerConfig l;
  l.name = "lis";
  l.host = "127.0.0.1";
  l.port = 2575;
  l.allow_from = {"10.0.0.0/8", "fd00::/8"};
  l.max_connections_per_ip = 7;
  l.message_timeout = 30s;
  l.max_frames_per_second = 25;
  return l;
}

TEST(MllpConfigTest, AListenersLimitsAndTlsBecomeItsOptions) {
  config::ListenerConfig l = listener();
  l.tls = test_certs().server_config(true);
  l.tls.handshake_timeout = 4s;
  auto options = listener_options(l);
  ASSERT_TRUE(options) << options.error();
  EXPECT_EQ(options->handshake_timeout, 4s);
  EXPECT_EQ(options->name, "lis");
  EXPECT_EQ(options->port, 2575);
  EXPECT_EQ(options->max_connections_per_ip, 7u);
  EXPECT_EQ(options->message_timeout, 30s);
  EXPECT_EQ(options->max_frames_per_second, 25.0);
  EXPECT_EQ(options->allow_from.ranges().size(), 2u);
  EXPECT_TRUE(options->tls);
}

TEST(MllpConfigTest, APlainListenerHasNoContext) {
  auto options = listener_options(listener());
  ASSERT_TRUE(options) << options.error();
  EXPECT_FALSE(options->tls);
}

TEST(MllpConfigTest, ABadRangeOrTlsFileNamesTheListener) {
  config::ListenerConfig l = listener();
  l.allow_from = {"10.0.0.0/40"};
  auto bad_range = listener_options(l);
  ASSERT_FALSE(bad_range);
  EXPECT_EQ(bad_range.error(),
            "listener lis: allow_from: '10.0.0.0/40': the prefix length must be 0 to 32");
  l = listener();
  l.tls = test_certs().server_config();
  l.tls.certificate = test_certs().not_pem;
  auto bad_file = listener_options(l);
  ASSERT_FALSE(bad_file);
  EXPECT_EQ(bad_file.error().find("listener lis: TLS certificate '" + test_certs().not_pem +
                                  "' is not a PEM certificate"),
            0u)
      << bad_file.error();
}

TEST(MllpConfigTest, AListenersLimitsForAReload) {
  auto limits = listener_limits(listener());
  ASSERT_TRUE(limits) << limits.error();
  EXPECT_EQ(limits->allow_from.ranges().size(), 2u);
  EXPECT_EQ(limits->max_connections_per_ip, 7u);
  EXPECT_EQ(limits->message_timeout, 30s);
  EXPECT_EQ(limits->max_frames_per_second, 25.0);
  config::ListenerConfig l = listener();
  l.allow_from = {"lis.local"};
  EXPECT_FALSE(listener_limits(l));
}

TEST(MllpConfigTest, ADestinationsTlsBecomesItsOptions) {
  config::DestinationConfig d;
  d.name = "ris";
  d.type = "mllp";
  d.host = "ris.local";
  d.port = 2576;
  d.timeout = 5s;
  d.tls = test_certs().client_config(&test_certs().client);
  d.tls.server_name = "ris.example.org";
  auto options = destination_options(d);
  ASSERT_TRUE(options) << options.error();
  EXPECT_EQ(options->host, "ris.local");
  EXPECT_EQ(options->timeout, 5s);
  EXPECT_TRUE(options->tls);
  EXPECT_EQ(options->server_name, "ris.example.org");

  d.tls.private_key = (test_certs().dir / "missing.key").string();
  auto bad = destination_options(d);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().find("mllp ris.local:2576: TLS private key '" + d.tls.private_key +
                             "': cannot read: No such file or directory"),
            0u)
      << bad.error();
}

}  // namespace
}  // namespace hisbridge::mllp
