// FhirClient against a real HTTP/1.1 server on loopback: fhir_test_server.py, run with Python's
// own http.server (and ssl module for HTTPS, with a certificate the openssl command makes).
#include "adapters/fhir/fhir_client.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "adapters/fhir/error.hpp"
#include "tests/support/read_file.hpp"
#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace hisbridge::fhir {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kPython = "/usr/bin/python3";

// Runs `argv` as a child process, its output discarded when `quiet`; returns its pid, or -1.
pid_t spawn(const std::vector<std::string>& argv, bool quiet = false) {
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (quiet) {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return spawned == 0 ? pid : -1;
}

// Runs `argv` to its end with its output discarded; returns its exit status, or -1.
int run_quietly(const std::vector<std::string>& argv) {
  const pid_t pid = spawn(argv, true);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) {
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

using testing_support::TempDir;

// fhir_test_server.py as a child process, stopped with SIGTERM at the end.
class TestServer {
 public:
  // Starts the server (HTTPS when `cert` is given); port() is 0 when it did not come up.
  explicit TestServer(const fs::path& dir, const fs::path& cert = {}, const fs::path& key = {}) {
    const fs::path port_file = dir / "port";
    std::vector<std::string> argv = {kPython, FHIR_TEST_SERVER, port_file.string()};
    if (!cert.empty()) {
      argv.push_back(cert.string());
      argv.push_back(key.string());
    }
    pid_ = spawn(argv);
    // Bounded wait for the port file; no sleep decides a result.
    for (int i = 0; i < 1000 && pid_ > 0 && !fs::exists(port_file); ++i) {
      std::this_thread::sleep_for(10ms);
    }
    if (fs::exists(port_file)) {
      port_ = std::stoi(testing_support::read_file(port_file));
    }
  }
  ~TestServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

nlohmann::json small_bundle() {
  return {{"resourceType", "Bundle"},
          {"type", "transaction"},
          {"entry",
           {{{"fullUrl", "urn:uuid:0b2f6a3c-53b4-5a43-9b61-64f8c0a2d1e7"},
             {"resource", {{"resourceType", "Patient"}, {"name", {{{"text", "Nguyễn Thị Hoa"}}}}}},
             {"request", {{"method", "PUT"}, {"url", "Patient?identifier=urn:x|1"}}}}}}};
}

std::unique_ptr<FhirClient> client_for(const std::string& url, FhirClientOptions options = {}) {
  options.base_url = url;
  auto client = FhirClient::create(std::move(options));
  EXPECT_TRUE(client.has_value()) << url;
  return client ? std::move(*client) : nullptr;
}

class FhirClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::access(kPython, X_OK) != 0) {
      return;
    }
    dir_ = new TempDir();
    server_ = new TestServer(dir_->path());
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
    server_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (server_ == nullptr || server_->port() == 0) {
      GTEST_SKIP() << "python3 test server not available";
    }
  }

  static std::string url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  // The server's counts, fetched on a connection of their own.
  static nlohmann::json stats() {
    auto client = client_for(url("/stats"));
    auto answer = client->post_bundle(small_bundle(), "stats");
    if (!answer) {
      return nullptr;
    }
    return nlohmann::json::parse(answer->body, nullptr, false);
  }

  static TempDir* dir_;
  static TestServer* server_;
};

TempDir* FhirClientTest::dir_ = nullptr;
TestServer* FhirClientTest::server_ = nullptr;

TEST_F(FhirClientTest, PostsTransactionAsFhirJsonAndKeepsTheConnection) {
  auto client = client_for(url("/fhir"));
  for (const std::string key : {"keep-1", "keep-2", "keep-3"}) {
    auto answer = client->post_bundle(small_bundle(), key);
    ASSERT_TRUE(answer.has_value()) << answer.error().message();
    EXPECT_EQ(answer->status, 200U);
    EXPECT_EQ(answer->disposition, Disposition::ok);
    const auto body = nlohmann::json::parse(answer->body, nullptr, false);
    EXPECT_EQ(body.value("type", ""), "transaction-response");
    EXPECT_EQ(body["entry"].size(), 1U);
  }
  EXPECT_EQ(client->connections_opened(), 1U);
  const nlohmann::json counts = stats();
  EXPECT_EQ(counts["keys"]["keep-1"], 1);
  EXPECT_EQ(counts["keys"]["keep-3"], 1);
  for (const auto& type : counts["content_types"]) {
    EXPECT_EQ(type, "application/fhir+json");
  }
}

TEST_F(FhirClientTest, ServerErrorIsRetriedWithTheSameKey) {
  auto client = client_for(url("/fhir-fail-once"));
  auto first = client->post_bundle(small_bundle(), "fail-once-1");
  ASSERT_TRUE(first.has_value()) << first.error().message();
  EXPECT_EQ(first->status, 500U);
  EXPECT_EQ(first->disposition, Disposition::retry);
  EXPECT_NE(first->body.find("OperationOutcome"), std::string::npos);
  auto second = client->post_bundle(small_bundle(), "fail-once-1");
  ASSERT_TRUE(second.has_value()) << second.error().message();
  EXPECT_EQ(second->status, 200U);
  EXPECT_EQ(classify(second), Disposition::ok);
  EXPECT_EQ(stats()["keys"]["fail-once-1"], 2);
}

TEST_F(FhirClientTest, ReconnectsAfterConnectionClose) {
  auto closing = client_for(url("/fhir-close"));
  ASSERT_EQ(closing->post_bundle(small_bundle(), "close-1")->status, 200U);
  ASSERT_EQ(closing->post_bundle(small_bundle(), "close-2")->status, 200U);
  EXPECT_EQ(closing->connections_opened(), 2U);
}

// The server announces keep-alive and closes anyway, as an idle timeout does. Whether the
// client sees the close before its next request or only when that request's answer never
// comes, each post is answered once, on a new connection.
TEST_F(FhirClientTest, ReconnectsWhenTheServerDropsAKeptConnection) {
  auto client = client_for(url("/fhir-drop"));
  for (const std::string key : {"drop-1", "drop-2", "drop-3"}) {
    auto answer = client->post_bundle(small_bundle(), key);
    ASSERT_TRUE(answer.has_value()) << key << ": " << answer.error().message();
    EXPECT_EQ(answer->status, 200U);
  }
  EXPECT_EQ(client->connections_opened(), 3U);
  const nlohmann::json counts = stats();
  for (const char* key : {"drop-1", "drop-2", "drop-3"}) {
    EXPECT_EQ(counts["keys"][key], 1) << key;
  }
}

TEST_F(FhirClientTest, ClientErrorsAreDeadServerErrorsAndThrottlingRetry) {
  const std::vector<std::pair<unsigned, Disposition>> cases = {
      {400, Disposition::dead},  {404, Disposition::dead},  {412, Disposition::dead},
      {422, Disposition::dead},  {408, Disposition::retry}, {429, Disposition::retry},
      {500, Disposition::retry}, {503, Disposition::retry}};
  for (const auto& [status, disposition] : cases) {
    auto client = client_for(url("/fhir-status/" + std::to_string(status)));
    auto answer = client->post_bundle(small_bundle(), "status-" + std::to_string(status));
    ASSERT_TRUE(answer.has_value()) << answer.error().message();
    EXPECT_EQ(answer->status, status);
    EXPECT_EQ(answer->disposition, disposition) << status;
    EXPECT_EQ(classify(answer), disposition) << status;
  }
  EXPECT_EQ(classify(204), Disposition::ok);
  EXPECT_EQ(classify(301), Disposition::dead);
}

TEST_F(FhirClientTest, SlowServerTimesOutAndTheClientRecovers) {
  FhirClientOptions options;
  options.request_timeout = 300ms;
  auto slow = client_for(url("/fhir-slow"), options);
  auto answer = slow->post_bundle(small_bundle(), "slow-1");
  ASSERT_FALSE(answer.has_value());
  EXPECT_EQ(answer.error(), make_error_code(Error::timeout));
  EXPECT_EQ(classify(answer), Disposition::retry);
  // The same client posts again on a new connection; this time the server answers at once.
  auto again = slow->post_bundle(small_bundle(), "slow-1");
  ASSERT_TRUE(again.has_value()) << again.error().message();
  EXPECT_EQ(again->status, 200U);
  EXPECT_EQ(slow->connections_opened(), 2U);
}

TEST_F(FhirClientTest, RefusedConnectionIsRetry) {
  // A port that was free a moment ago: bound, then closed.
  const int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ::close(probe);
  auto client = client_for("http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/");
  auto answer = client->post_bundle(small_bundle(), "refused");
  ASSERT_FALSE(answer.has_value());
  EXPECT_EQ(answer.error(), make_error_code(Error::connection_refused));
  EXPECT_EQ(classify(answer), Disposition::retry);
}

TEST(FhirClientCreateTest, RejectsUnusableBaseUrls) {
  for (const char* url : {"", "ftp://host/fhir", "http://", "http://host:port/", "http://host:/",
                          "http://user@host/", "http://host/fhir?x=1", "https://[::1/fhir"}) {
    FhirClientOptions options;
    options.base_url = url;
    auto client = FhirClient::create(options);
    ASSERT_FALSE(client.has_value()) << url;
    EXPECT_EQ(client.error(), make_error_code(Error::bad_url)) << url;
  }
  for (const char* url : {"http://127.0.0.1:8080/fhir", "https://fhir.example.org/r4",
                          "http://[::1]:8080", "https://localhost"}) {
    FhirClientOptions options;
    options.base_url = url;
    EXPECT_TRUE(FhirClient::create(options).has_value()) << url;
  }
}

// HTTPS with a self-signed certificate for `localhost`, made by the openssl command.
class FhirClientTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::access(kPython, X_OK) != 0 || ::access("/usr/bin/openssl", X_OK) != 0) {
      return;
    }
    dir_ = new TempDir();
    cert_ = dir_->path() / "cert.pem";
    const fs::path key = dir_->path() / "key.pem";
    const int made =
        run_quietly({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                     key.string(), "-out", cert_.string(), "-days", "2", "-subj", "/CN=localhost",
                     "-addext", "subjectAltName=DNS:localhost"});
    if (made == 0) {
      server_ = new TestServer(dir_->path(), cert_, key);
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
    server_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (server_ == nullptr || server_->port() == 0) {
      GTEST_SKIP() << "python3 or openssl not available";
    }
  }

  static std::string url(const std::string& host) {
    return "https://" + host + ":" + std::to_string(server_->port()) + "/fhir";
  }

  static TempDir* dir_;
  static TestServer* server_;
  static fs::path cert_;
};

TempDir* FhirClientTlsTest::dir_ = nullptr;
TestServer* FhirClientTlsTest::server_ = nullptr;
fs::path FhirClientTlsTest::cert_;

TEST_F(FhirClientTlsTest, VerifiesAgainstTheGivenCaAndKeepsTheConnection) {
  FhirClientOptions options;
  options.ca_file = cert_.string();
  auto client = client_for(url("localhost"), options);
  for (const std::string key : {"tls-1", "tls-2"}) {
    auto answer = client->post_bundle(small_bundle(), key);
    ASSERT_TRUE(answer.has_value()) << answer.error().message();
    EXPECT_EQ(answer->status, 200U);
  }
  EXPECT_EQ(client->connections_opened(), 1U);
}

TEST_F(FhirClientTlsTest, RefusesACertificateTheSystemStoreDoesNotTrust) {
  auto client = client_for(url("localhost"));
  auto answer = client->post_bundle(small_bundle(), "tls-untrusted");
  ASSERT_FALSE(answer.has_value());
  EXPECT_EQ(answer.error(), make_error_code(Error::tls_failed));
  EXPECT_EQ(classify(answer), Disposition::retry);
}

TEST_F(FhirClientTlsTest, RefusesACertificateForAnotherName) {
  FhirClientOptions options;
  options.ca_file = cert_.string();
  auto client = client_for(url("127.0.0.1"), options);  // the certificate names localhost only
  auto answer = client->post_bundle(small_bundle(), "tls-wrong-name");
  ASSERT_FALSE(answer.has_value());
  EXPECT_EQ(answer.error(), make_error_code(Error::tls_failed));
}

TEST_F(FhirClientTlsTest, AcceptsAnyCertificateWhenVerificationIsOff) {
  FhirClientOptions options;
  options.verify_peer = false;
  auto client = client_for(url("127.0.0.1"), options);
  auto answer = client->post_bundle(small_bundle(), "tls-unverified");
  ASSERT_TRUE(answer.has_value()) << answer.error().message();
  EXPECT_EQ(answer->status, 200U);
}

}  // namespace
}  // namespace hisbridge::fhir
