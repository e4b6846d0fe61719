#pragma once

// A blocking HTTPS client for tests, over Beast's ssl_stream: one connection, its handshake
// checking the server against a context from tls::make_client_context, every exchange bounded
// by a timeout so that a test that goes wrong fails instead of hanging.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "adapters/tls/tls_context.hpp"
#include "tests/adapters/http/http_test_client.hpp"

namespace hisbridge::testing {

class TestHttpsClient {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  // Connects to 127.0.0.1:`port` and does the handshake, expecting the server's certificate to
  // carry 127.0.0.1 (when `context` verifies the peer). handshake_ok() says how it went.
  TestHttpsClient(std::uint16_t port, std::shared_ptr<boost::asio::ssl::context> context,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : context_(std::move(context)), stream_(ioc_, *context_), timeout_(timeout) {
    auto& tcp = boost::beast::get_lowest_layer(stream_);
    tcp.expires_after(timeout_);
    const boost::asio::ip::tcp::endpoint to(boost::asio::ip::make_address("127.0.0.1"), port);
    tcp.async_connect(to, [this](boost::system::error_code ec) { error_ = ec; });
    run();
    if (error_) {
      return;
    }
    if (auto named = tls::expect_server_name(stream_.native_handle(), "127.0.0.1"); !named) {
      error_ = make_error_code(boost::system::errc::invalid_argument);
      return;
    }
    tcp.expires_after(timeout_);
    stream_.async_handshake(boost::asio::ssl::stream_base::client,
                            [this](boost::system::error_code ec) { error_ = ec; });
    run();
    handshake_ok_ = !error_;
  }

  bool handshake_ok() const { return handshake_ok_; }
  boost::system::error_code error() const { return error_; }

  static Request get(std::string target, bool close = false) {
    Request req(boost::beast::http::verb::get, target, 11);
    req.set(boost::beast::http::field::host, "127.0.0.1");
    req.keep_alive(!close);
    return req;
  }

  // Sends the request and reads the response; nullopt (see error()) when either fails.
  std::optional<ClientResponse> send(Request req) {
    namespace bhttp = boost::beast::http;
    if (error_) {
      return std::nullopt;
    }
    request_ = std::move(req);
    boost::beast::get_lowest_layer(stream_).expires_after(timeout_);
    bhttp::async_write(stream_, request_,
                       [this](boost::system::error_code ec, std::size_t) { error_ = ec; });
    run();
    if (error_) {
      return std::nullopt;
    }
    response_ = {};
    boost::beast::get_lowest_layer(stream_).expires_after(timeout_);
    bhttp::async_read(stream_, buffer_, response_,
                      [this](boost::system::error_code ec, std::size_t) { error_ = ec; });
    run();
    if (error_) {
      return std::nullopt;
    }
    ClientResponse out;
    out.status = response_.result_int();
    out.body = response_.body();
    out.content_type = std::string(response_[bhttp::field::content_type]);
    out.retry_after = std::string(response_[bhttp::field::retry_after]);
    out.keep_alive = response_.keep_alive();
    return out;
  }

  // Reads once more: what the server does next. eof means it sent close_notify; a truncated
  // stream means it closed the TCP connection without one.
  boost::system::error_code read_end() {
    char byte = 0;
    boost::beast::get_lowest_layer(stream_).expires_after(timeout_);
    stream_.async_read_some(boost::asio::buffer(&byte, 1),
                            [this](boost::system::error_code ec, std::size_t) { error_ = ec; });
    run();
    return error_;
  }

 private:
  void run() {
    ioc_.restart();
    ioc_.run();
  }

  boost::asio::io_context ioc_;
  std::shared_ptr<boost::asio::ssl::context> context_;
  boost::beast::ssl_stream<boost::beast::tcp_stream> stream_;
  std::chrono::milliseconds timeout_;
  boost::beast::flat_buffer buffer_;
  Request request_;
  boost::beast::http::response<boost::beast::http::string_body> response_;
  boost::system::error_code error_;
  bool handshake_ok_ = false;
};

}  // namespace hisbridge::testing
