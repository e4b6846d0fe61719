// The `tls` objects, the listeners' source limits and the `audit` section.
#include "engine/config/tls_reader.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "engine/config/config_loader.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge::config {
namespace {

std::string all(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    out += e.to_string() + "\n";
  }
  return out;
}

class TlsReaderTest : public ::testing::Test {
 protected:
  TlsReaderTest() {
    for (const char* name : {"server.crt", "server.key", "ca.crt"}) {
      std::ofstream(dir_.path() / name) << "-----BEGIN X-----\n";
    }
  }
  std::string file(const char* name) const { return (dir_.path() / name).string(); }

  std::vector<ConfigError> check(const std::string& rest, Config* out = nullptr) const {
    return check_config_text(R"({"store": {"location": "j.db"}, )" + rest + "}", "test.json", out);
  }
  std::string listener(const std::string& extra) const {
    return R"("listeners": [{"name": "lis", "type": "mllp", "port": 2575, )" + extra + "}]";
  }

  std::string server_tls(const std::string& extra) const {
    return R"("tls": {"certificate": ")" + file("server.crt") + R"(", "private_key": ")" +
           file("server.key") + "\"" + extra + "}";
  }

  testing_support::TempDir dir_{"hisbridge-tls"};
};

TEST_F(TlsReaderTest, ReadsAListenersTlsAndLimits) {
  Config c;
  const auto errors = check(
      listener(R"("tls": {"certificate": ")" + file("server.crt") + R"(", "private_key": ")" +
               file("server.key") + R"(", "ca": ")" + file("ca.crt") +
               R"(", "require_client_certificate": true},
               "allow_from": ["10.1.2.0/24", "10.9.9.9", "fd00::/8"], "max_connections_per_ip": 8,
               "message_timeout": "30s", "max_frames_per_second": 200)"),
      &c);
  ASSERT_TRUE(errors.empty()) << all(errors);
  const ListenerConfig& l = c.listeners.at(0);
  EXPECT_TRUE(l.tls.enabled);
  EXPECT_EQ(l.tls.certificate, file("server.crt"));
  EXPECT_EQ(l.tls.private_key, file("server.key"));
  EXPECT_TRUE(l.tls.require_client_certificate);
  EXPECT_EQ(l.allow_from, (std::vector<std::string>{"10.1.2.0/24", "10.9.9.9", "fd00::/8"}));
  EXPECT_EQ(l.max_connections_per_ip, 8u);
  EXPECT_EQ(l.message_timeout, std::chrono::seconds(30));
  EXPECT_EQ(l.max_frames_per_second, 200.0);
}

TEST_F(TlsReaderTest, DefaultsAreWithoutTlsAndOpenToAnyAddress) {
  Config c;
  ASSERT_TRUE(check(listener(R"("host": "0.0.0.0")"), &c).empty());
  const ListenerConfig& l = c.listeners.at(0);
  EXPECT_FALSE(l.tls.enabled);
  EXPECT_TRUE(l.allow_from.empty());
  EXPECT_EQ(l.max_connections_per_ip, 100u);
  EXPECT_EQ(l.message_timeout, std::chrono::minutes(2));
  EXPECT_EQ(l.max_frames_per_second, 0.0);
  EXPECT_FALSE(c.admin.tls.enabled);
  EXPECT_EQ(c.audit.file, "var/audit.log");
  EXPECT_EQ(c.audit.max_size_bytes, 10'000'000);
  EXPECT_EQ(c.audit.keep, 10u);
}

TEST_F(TlsReaderTest, ProblemsArePlacedAndNamed) {
  const auto errors = check(listener(
      R"("tls": {"certificate": "/nowhere/server.crt", "require_client_certificate": true},
         "allow_from": ["10.1.2.0/33", "lis.hospital.vn", "::1/200"], "message_timeout": "0s")"));
  const std::string text = all(errors);
  EXPECT_NE(text.find("missing 'private_key'"), std::string::npos) << text;
  EXPECT_NE(text.find("TLS file '/nowhere/server.crt' does not exist"), std::string::npos) << text;
  EXPECT_NE(text.find("mutual TLS needs 'ca'"), std::string::npos) << text;
  EXPECT_NE(text.find("the prefix length of '10.1.2.0/33' must be 0 to 32"), std::string::npos) << text;
  EXPECT_NE(text.find("'lis.hospital.vn' is not an IP address or range"), std::string::npos) << text;
  EXPECT_NE(text.find("'::1/200' must be 0 to 128"), std::string::npos) << text;
  EXPECT_NE(text.find("'message_timeout' must be at least 1s"), std::string::npos) << text;
  EXPECT_EQ(errors.size(), 7u) << text;
}

TEST_F(TlsReaderTest, AFileListenerTakesNoNetworkSettings) {
  const auto errors = check(
      R"("listeners": [{"name": "drop", "type": "file", "folder": "in", "allow_from": ["10.0.0.0/8"]}])");
  ASSERT_EQ(errors.size(), 1u) << all(errors);
  EXPECT_NE(all(errors).find("'allow_from' applies to mllp and http listeners"), std::string::npos);
}

TEST_F(TlsReaderTest, AdminAndMllpDestinationTls) {
  Config c;
  const auto errors = check(
      R"("admin": {"tls": {"certificate": ")" + file("server.crt") + R"(", "private_key": ")" +
          file("server.key") + R"("}}, )" + listener("\"host\": \"127.0.0.1\"") +
          R"(, "channels": [{"name": "lab", "source": "lis", "destinations": [
             {"name": "ris", "type": "mllp", "host": "10.2.0.9", "port": 6661,
              "tls": {"ca": ")" + file("ca.crt") + R"(", "server_name": "ris.hospital.vn"}}]}])",
      &c);
  ASSERT_TRUE(errors.empty()) << all(errors);
  EXPECT_TRUE(c.admin.tls.enabled);
  const DestinationConfig& d = c.channels.at(0).destinations.at(0);
  EXPECT_TRUE(d.tls.enabled);
  EXPECT_EQ(d.tls.ca, file("ca.crt"));
  EXPECT_EQ(d.tls.server_name, "ris.hospital.vn");
  EXPECT_TRUE(d.tls.certificate.empty());
  EXPECT_TRUE(d.verify_tls);
}

TEST_F(TlsReaderTest, AHandshakeTimeoutIsTenSecondsUnlessSet) {
  Config c;
  const auto errors =
      check(R"("admin": {)" + server_tls(R"(, "handshake_timeout": "45s")") + "}, " +
                listener(server_tls("")),
            &c);
  ASSERT_TRUE(errors.empty()) << all(errors);
  EXPECT_EQ(c.admin.tls.handshake_timeout, std::chrono::seconds(45));
  EXPECT_EQ(c.listeners.at(0).tls.handshake_timeout, std::chrono::seconds(10));
}

TEST_F(TlsReaderTest, AHandshakeTimeoutOutsideOneSecondToFiveMinutesIsRefused) {
  for (const char* bad : {"500ms", "6m", "0s", "soon"}) {
    const auto errors =
        check(listener(server_tls(std::string(R"(, "handshake_timeout": ")") + bad + "\"")));
    ASSERT_EQ(errors.size(), 1u) << bad << ": " << all(errors);
    EXPECT_NE(errors[0].message.find("'handshake_timeout' must be"), std::string::npos)
        << all(errors);
  }
  // A destination is the client: the server it calls decides how long a handshake may take.
  const auto errors = check(listener(R"("host": "127.0.0.1")") +
                            R"(, "channels": [{"name": "lab", "source": "lis", "destinations": [
                                 {"name": "ris", "type": "mllp", "host": "10.2.0.9", "port": 6661,
                                  "tls": {"handshake_timeout": "5s"}}]}])");
  ASSERT_EQ(errors.size(), 1u) << all(errors);
  EXPECT_NE(all(errors).find("handshake_timeout"), std::string::npos) << all(errors);
}

TEST_F(TlsReaderTest, ReadsTheAuditSection) {
  Config c;
  ASSERT_TRUE(check(R"("audit": {"file": "/var/log/hisbridge/audit.log", "max_size": "50MB", "keep": 4})", &c).empty());
  EXPECT_EQ(c.audit.file, "/var/log/hisbridge/audit.log");
  EXPECT_EQ(c.audit.max_size_bytes, 50'000'000);
  EXPECT_EQ(c.audit.keep, 4u);
  const auto errors = check(R"("audit": {"file": "a.log", "max_size": "1kB", "keep": 0})");
  EXPECT_EQ(errors.size(), 2u) << all(errors);
}

TEST(AddressRangeProblemTest, AcceptsAddressesAndRanges) {
  for (const char* ok : {"10.1.2.7", "10.1.2.0/24", "0.0.0.0/0", "::1", "fd00::/8", "::ffff:10.0.0.1"}) {
    EXPECT_EQ(address_range_problem(ok), "") << ok;
  }
  for (const char* bad : {"", "10.1.2", "10.1.2.0/", "10.1.2.0/x", "10.1.2.0/24/1", "host", "/8"}) {
    EXPECT_NE(address_range_problem(bad), "") << bad;
  }
}

}  // namespace
}  // namespace hisbridge::config
