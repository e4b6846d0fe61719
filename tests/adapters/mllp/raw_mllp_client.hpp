#pragma once

// A plain-socket MLLP peer for listener tests: writes whatever bytes a test gives it (several
// frames at once, garbage, half frames) and reads the frames that come back, with a deadline
// on every wait. POSIX sockets rather than Asio, so that a thousand of them stay cheap and a
// test can shut down, reset or abandon a connection at will.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/mllp/framer.hpp"

namespace hisbridge::testing {

class RawMllpClient {
 public:
  explicit RawMllpClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 &&
                 ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawMllpClient() { close(); }
  RawMllpClient(const RawMllpClient&) = delete;
  RawMllpClient& operator=(const RawMllpClient&) = delete;

  bool connected() const { return connected_; }

  // The client's own port, which the listener reports as the peer's.
  std::uint16_t local_port() const {
    sockaddr_in address{};
    socklen_t size = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    return ntohs(address.sin_port);
  }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return false;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // The message of the next frame that comes back; nullopt when the connection closes or
  // nothing complete arrives in time.
  std::optional<std::string> read_frame(
      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto event = framer_.next(); event && event->has_value()) {
        return std::move(**event);
      }
      if (read_some(deadline) != Got::data) {
        return std::nullopt;
      }
    }
  }

  // True when the listener closes the connection in time. Frames read meanwhile are kept for
  // read_frame.
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      switch (read_some(deadline)) {
        case Got::data:
          continue;
        case Got::closed:
          return true;
        case Got::timeout:
          return false;
      }
    }
  }

  void shutdown_send() { ::shutdown(fd_, SHUT_WR); }

  // Closes with a reset (SO_LINGER 0) rather than an orderly FIN.
  void reset() {
    const linger hard{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    close();
  }

  void close() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  enum class Got { data, closed, timeout };

  Got read_some(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    if (ready == 0) {
      return Got::timeout;
    }
    if (ready < 0) {
      return errno == EINTR ? read_some(deadline) : Got::closed;
    }
    char buffer[16384];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
      return Got::closed;  // end of stream, or a reset
    }
    framer_.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
    return Got::data;
  }

  int fd_;
  bool connected_ = false;
  mllp::Framer framer_;
};

}  // namespace hisbridge::testing
