#include "engine/app/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>

namespace hisbridge::app {
namespace {

// Closes the descriptor on every path out of notify_to.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string system_error(std::string_view what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

// Fills `address` from "/path" or "@abstract"; returns the length to pass to sendto. A path
// socket's length counts its terminating NUL; an abstract one's counts exactly its name bytes,
// since there the NUL bytes are part of the name (unix(7)).
Result<socklen_t, std::string> make_address(std::string_view text, sockaddr_un& address) {
  std::memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  const bool abstract = text.front() == '@';
  if (!abstract && text.front() != '/') {
    return "NOTIFY_SOCKET: not a unix socket address (must start with '/' or '@'): " +
           std::string(text);
  }
  // A path needs room for its NUL; an abstract name fills sun_path up to the last byte.
  if (text.size() > sizeof address.sun_path - (abstract ? 0 : 1)) {
    return "NOTIFY_SOCKET: address too long: " + std::string(text);
  }
  std::memcpy(address.sun_path, text.data(), text.size());
  if (abstract) {
    address.sun_path[0] = '\0';
  }
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + text.size() +
                                (abstract ? 0 : 1));
}

}  // namespace

Result<bool, std::string> notify_to(std::string_view socket_address, std::string_view state) {
  if (socket_address.empty()) {
    return false;
  }
  sockaddr_un address{};
  auto length = make_address(socket_address, address);
  if (!length) {
    return length.error();
  }
  const Descriptor fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return system_error("NOTIFY_SOCKET: socket", errno);
  }
  // One datagram carries the whole state, as systemd reads it; MSG_NOSIGNAL so a vanished
  // reader is an error here rather than a SIGPIPE.
  const ssize_t sent = ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&address), *length);
  if (sent < 0) {
    return system_error("NOTIFY_SOCKET " + std::string(socket_address), errno);
  }
  if (static_cast<std::size_t>(sent) != state.size()) {
    return "NOTIFY_SOCKET " + std::string(socket_address) + ": datagram cut short";
  }
  return true;
}

Result<bool, std::string> notify(std::string_view state) {
  // getenv is read-only here; the engine never sets variables after start-up.
  const char* address = std::getenv("NOTIFY_SOCKET");  // NOLINT(concurrency-mt-unsafe)
  return notify_to(address == nullptr ? std::string_view{} : std::string_view{address}, state);
}

void notify_service_manager(std::string_view state) {
  if (auto sent = notify(state); !sent) {
    spdlog::warn("cannot notify the service manager ({}): {}", state, sent.error());
  }
}

}  // namespace hisbridge::app
