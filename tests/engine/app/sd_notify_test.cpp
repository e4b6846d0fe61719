// sd_notify without libsystemd: the datagrams a real unix socket receives, at a socket file and
// at an abstract address, as systemd's notify socket would read them.
#include "engine/app/sd_notify.hpp"
#include "tests/support/temp_dir.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

namespace hisbridge::app {
namespace {

namespace fs = std::filesystem;

// A datagram socket bound to a socket file or an abstract name, standing in for systemd.
class Listener {
 public:
  // `abstract`: the name without its leading NUL; otherwise a path.
  Listener(const std::string& name, bool abstract) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::size_t offset = abstract ? 1 : 0;  // an abstract name starts with a NUL byte
    std::memcpy(address.sun_path + offset, name.data(), name.size());
    const auto length =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + offset + name.size());
    bound_ = ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) == 0;
  }
  ~Listener() { ::close(fd_); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  bool bound() const { return bound_; }

  // The next datagram already queued; nullopt when none is (MSG_DONTWAIT: a unix datagram is
  // queued by the time sendto returns, so there is nothing to wait for).
  std::optional<std::string> take() {
    std::array<char, 4096> buffer{};
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n < 0) {
      return std::nullopt;
    }
    return std::string(buffer.data(), static_cast<std::size_t>(n));
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

class SdNotifyTest : public ::testing::Test {
 protected:
  void TearDown() override { ::unsetenv("NOTIFY_SOCKET"); }
  // A name unique to this process and test, for abstract addresses.
  static std::string unique_name() {
    return "hisbridge-test-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  hisbridge::testing_support::TempDir folder_{"hisbridge-sd-notify"};
  const fs::path& dir_ = folder_.path();
};

TEST_F(SdNotifyTest, SendsTheStateToASocketFile) {
  const std::string path = (dir_ / "notify.sock").string();
  Listener systemd(path, false);
  ASSERT_TRUE(systemd.bound()) << path;
  auto sent = notify_to(path, "READY=1");
  ASSERT_TRUE(sent) << sent.error();
  EXPECT_TRUE(*sent);
  EXPECT_EQ(systemd.take(), "READY=1");
  EXPECT_EQ(systemd.take(), std::nullopt);  // one datagram, nothing more
}

TEST_F(SdNotifyTest, AnAtSignMeansTheAbstractNamespace) {
  const std::string name = unique_name();
  Listener systemd(name, true);
  ASSERT_TRUE(systemd.bound()) << name;
  auto sent = notify_to("@" + name, "STOPPING=1");
  ASSERT_TRUE(sent) << sent.error();
  EXPECT_TRUE(*sent);
  EXPECT_EQ(systemd.take(), "STOPPING=1");
  // No file of that name was made: the address is not a path.
  EXPECT_FALSE(fs::exists(name));
}

TEST_F(SdNotifyTest, NotifyReadsTheSocketFromTheEnvironment) {
  const std::string path = (dir_ / "env.sock").string();
  Listener systemd(path, false);
  ASSERT_TRUE(systemd.bound());
  ASSERT_EQ(::setenv("NOTIFY_SOCKET", path.c_str(), 1), 0);
  // A reload as the engine reports it: two datagrams, in order, each whole.
  ASSERT_TRUE(notify("RELOADING=1\nSTATUS=reloading the configuration"));
  ASSERT_TRUE(notify("READY=1"));
  EXPECT_EQ(systemd.take(), "RELOADING=1\nSTATUS=reloading the configuration");
  EXPECT_EQ(systemd.take(), "READY=1");
}

TEST_F(SdNotifyTest, NoSocketInTheEnvironmentIsNotAnError) {
  ::unsetenv("NOTIFY_SOCKET");
  auto unset = notify("READY=1");
  ASSERT_TRUE(unset) << unset.error();
  EXPECT_FALSE(*unset);
  ASSERT_EQ(::setenv("NOTIFY_SOCKET", "", 1), 0);
  auto empty = notify("READY=1");
  ASSERT_TRUE(empty) << empty.error();
  EXPECT_FALSE(*empty);
}

TEST_F(SdNotifyTest, AnAddressThatIsNotAUnixSocketIsRefused) {
  auto relative = notify_to("run/notify.sock", "READY=1");
  ASSERT_FALSE(relative);
  EXPECT_NE(relative.error().find("must start with '/' or '@'"), std::string::npos)
      << relative.error();
  auto too_long = notify_to("/" + std::string(200, 'x'), "READY=1");
  ASSERT_FALSE(too_long);
  EXPECT_NE(too_long.error().find("too long"), std::string::npos) << too_long.error();
}

TEST_F(SdNotifyTest, ASocketNoOneListensOnIsAnErrorNamingIt) {
  const std::string path = (dir_ / "gone.sock").string();
  auto sent = notify_to(path, "READY=1");
  ASSERT_FALSE(sent);
  EXPECT_NE(sent.error().find(path), std::string::npos) << sent.error();
}

}  // namespace
}  // namespace hisbridge::app
