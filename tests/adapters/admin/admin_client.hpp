#pragma once

// A plain HTTP/1.1 client for the admin API tests: one request on a new loopback connection,
// bounded by a timeout, with whatever headers the test sets.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace hisbridge::testing {

struct AdminReply {
  unsigned status = 0;  // 0: the request failed (reported as a test failure)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) {
        return v;
      }
    }
    return {};
  }
};

inline AdminReply admin_request(std::uint16_t port, boost::beast::http::verb method,
                                const std::string& target,
                                const std::vector<std::pair<std::string, std::string>>& headers = {},
                                const std::string& body = {}) {
  namespace bhttp = boost::beast::http;
  boost::asio::io_context ioc;
  boost::beast::tcp_stream stream(ioc);
  bhttp::request<bhttp::string_body> req(method, target, 11);
  req.set(bhttp::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) {
    req.set(name, value);
  }
  if (!body.empty()) {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  boost::beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  boost::system::error_code error;
  stream.expires_after(std::chrono::seconds(30));
  stream.async_connect({boost::asio::ip::make_address("127.0.0.1"), port}, [&](auto ec) {
    if ((error = ec)) {
      return;
    }
    bhttp::async_write(stream, req, [&](auto write_ec, std::size_t) {
      if ((error = write_ec)) {
        return;
      }
      bhttp::async_read(stream, buffer, res, [&](auto read_ec, std::size_t) { error = read_ec; });
    });
  });
  ioc.run();
  if (error) {
    ADD_FAILURE() << target << ": " << error.message();
    return {};
  }
  AdminReply reply{res.result_int(), {}, res.body()};
  for (const auto& field : res) {
    reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  return reply;
}

}  // namespace hisbridge::testing
