#pragma once

// An MLLP peer over TLS for the listener tests: Asio's ssl::stream driven one operation at a
// time, each with a deadline, so that a failing test ends instead of hanging. Each client has
// its own io_context, run on the calling thread.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include "adapters/mllp/framer.hpp"
#include "adapters/tls/tls_context.hpp"

namespace hisbridge::testing {

class TlsMllpClient {
 public:
  using error_code = boost::system::error_code;

  TlsMllpClient(std::uint16_t port, boost::asio::ssl::context& context,
                const std::string& address = "127.0.0.1")
      : stream_(ioc_, context) {
    error_code ec;
    stream_.next_layer().connect({boost::asio::ip::make_address(address), port}, ec);
    connected_ = !ec;
  }

  bool connected() const { return connected_; }
  SSL* native_handle() { return stream_.native_handle(); }

  // The handshake, checking the server's certificate for `name` when the context verifies.
  error_code handshake(const std::string& name = "localhost") {
    if (!name.empty()) {
      (void)tls::expect_server_name(stream_.native_handle(), name);
    }
    return run([&](auto done) {
      stream_.async_handshake(boost::asio::ssl::stream_base::client, std::move(done));
    });
  }

  bool send(std::string_view bytes) {
    return !run([&](auto done) {
      boost::asio::async_write(stream_, boost::asio::buffer(bytes.data(), bytes.size()),
                               [done](const error_code& ec, std::size_t) { done(ec); });
    });
  }

  // The message of the next frame that comes back; nullopt when the connection ends or nothing
  // complete comes in time.
  std::optional<std::string> read_frame(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    for (;;) {
      if (auto event = framer_.next(); event && event->has_value()) {
        return std::move(**event);
      }
      if (read_some(timeout)) {
        return std::nullopt;
      }
    }
  }

  // Reads until the connection ends and returns how: eof (the server sent close_notify),
  // ssl::error::stream_truncated (it closed without), an OpenSSL error (an alert), or
  // timed_out.
  error_code wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    for (;;) {
      if (const error_code ec = read_some(timeout)) {
        return ec;
      }
    }
  }

 private:
  error_code read_some(std::chrono::milliseconds timeout) {
    std::size_t got = 0;
    const error_code ec = run(
        [&](auto done) {
          stream_.async_read_some(boost::asio::buffer(buffer_),
                                  [&got, done](const error_code& e, std::size_t bytes) {
                                    got = bytes;
                                    done(e);
                                  });
        },
        timeout);
    if (!ec) {
      framer_.feed(std::string_view(buffer_, got));
    }
    return ec;
  }

  template <class Start>
  error_code run(Start start, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::optional<error_code> result;
    ioc_.restart();
    start([&result](const error_code& ec) { result = ec; });
    ioc_.run_for(timeout);
    if (!result) {
      error_code ignored;
      stream_.next_layer().close(ignored);
      ioc_.restart();
      ioc_.run();
      return boost::asio::error::timed_out;
    }
    return *result;
  }

  boost::asio::io_context ioc_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
  bool connected_ = false;
  mllp::Framer framer_;
  char buffer_[16384];
};

}  // namespace hisbridge::testing
