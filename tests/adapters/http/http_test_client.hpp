#pragma once

// A blocking HTTP/1.1 client for tests, over Beast: one connection, kept between requests,
// every exchange bounded by a timeout so a test that goes wrong fails instead of hanging.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace hisbridge::testing {

struct ClientResponse {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;
  std::string allow;
  bool keep_alive = false;
};

class TestHttpClient {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  explicit TestHttpClient(std::uint16_t port,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : stream_(ioc_), timeout_(timeout) {
    stream_.expires_after(timeout_);
    const boost::asio::ip::tcp::endpoint to(boost::asio::ip::make_address("127.0.0.1"), port);
    stream_.async_connect(to, [this](boost::system::error_code ec) { error_ = ec; });
    run();
  }

  static Request post(std::string target, std::string content_type, std::string body) {
    Request req(boost::beast::http::verb::post, target, 11);
    req.set(boost::beast::http::field::host, "127.0.0.1");
    if (!content_type.empty()) {
      req.set(boost::beast::http::field::content_type, content_type);
    }
    req.body() = std::move(body);
    req.prepare_payload();
    return req;
  }

  // Sends the request and reads the response; nullopt (see error()) when either fails.
  std::optional<ClientResponse> send(Request req) {
    if (error_) {
      return std::nullopt;
    }
    request_ = std::move(req);
    stream_.expires_after(timeout_);
    boost::beast::http::async_write(
        stream_, request_, [this](boost::system::error_code ec, std::size_t) { error_ = ec; });
    run();
    return read_response();
  }

  // Writes raw bytes (the rest of a request), then reads a response.
  std::optional<ClientResponse> send_raw(std::string bytes) {
    raw_ = std::move(bytes);
    stream_.expires_after(timeout_);
    boost::asio::async_write(stream_, boost::asio::buffer(raw_),
                             [this](boost::system::error_code ec, std::size_t) { error_ = ec; });
    run();
    return read_response();
  }

  std::optional<ClientResponse> post_to(std::string target, std::string content_type,
                                        std::string body) {
    return send(post(std::move(target), std::move(content_type), std::move(body)));
  }

  // Writes raw bytes, then reads until `until` has arrived; returns what was read (nullopt on
  // error or timeout).
  std::optional<std::string> exchange_raw(std::string bytes, std::string until) {
    raw_ = std::move(bytes);
    std::string received;
    stream_.expires_after(timeout_);
    boost::asio::async_write(
        stream_, boost::asio::buffer(raw_), [&, this](boost::system::error_code ec, std::size_t) {
          if (ec) {
            error_ = ec;
            return;
          }
          boost::asio::async_read_until(
              stream_, boost::asio::dynamic_buffer(received), until,
              [this](boost::system::error_code read_ec, std::size_t) { error_ = read_ec; });
        });
    run();
    if (error_) {
      return std::nullopt;
    }
    return received;
  }

  // True when the server closes the connection (end of stream) within the timeout.
  bool closed_by_server() {
    char byte = 0;
    stream_.expires_after(timeout_);
    stream_.async_read_some(boost::asio::buffer(&byte, 1),
                            [this](boost::system::error_code ec, std::size_t) { error_ = ec; });
    run();
    return error_ == boost::asio::error::eof || error_ == boost::asio::error::connection_reset;
  }

  boost::system::error_code error() const { return error_; }

 private:
  std::optional<ClientResponse> read_response() {
    namespace bhttp = boost::beast::http;
    if (error_) {
      return std::nullopt;
    }
    response_ = {};
    stream_.expires_after(timeout_);
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
    out.allow = std::string(response_[bhttp::field::allow]);
    out.keep_alive = response_.keep_alive();
    return out;
  }

  void run() {
    ioc_.restart();
    ioc_.run();
  }

  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  std::chrono::milliseconds timeout_;
  boost::beast::flat_buffer buffer_;
  Request request_;
  boost::beast::http::response<boost::beast::http::string_body> response_;
  std::string raw_;
  boost::system::error_code error_;
};

}  // namespace hisbridge::testing
