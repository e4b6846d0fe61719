#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/net/address_range.hpp"
#include "engine/core/result.hpp"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}  // namespace ssl
}  // namespace boost::asio

namespace hisbridge::http {

// A small asynchronous HTTP/1.1 server over Boost.Beast, shared by the ingest endpoint and the
// admin API. Beast stays inside http_server.cpp: this header speaks only of the types below,
// so code that serves HTTP does not compile Beast.

struct HttpHeader {
  std::string name;
  std::string value;
};

// One complete request, body included, as the server hands it to its handler.
struct HttpRequest {
  std::string method;  // as sent: "POST" (methods are case-sensitive, RFC 9110 §9.1)
  std::string target;  // origin-form as sent, not percent-decoded: "/ingest/lis?x=1"
  std::vector<HttpHeader> headers;
  std::string body;
  std::string peer;  // the client's address, "10.1.2.3:51234" or "[::1]:51234"

  // The value of the first header named `name` (compared without regard to case); empty when
  // there is none.
  std::string_view header(std::string_view name) const;
  // The target without its query: "/ingest/lis".
  std::string_view path() const;
};

struct HttpResponse {
  unsigned status = 200;
  // Content-Type, Retry-After, Allow, ... The server sets Content-Length, Connection and
  // Server itself.
  std::vector<HttpHeader> headers;
  std::string body;

  // A `text/plain; charset=utf-8` response: for errors a person reads.
  static HttpResponse text(unsigned status, std::string body);
};

namespace detail {
// Where a Responder delivers: implemented by the connection in http_server.cpp.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void respond(std::function<HttpResponse()> make) = 0;
};
}  // namespace detail

// The way back to the connection a request came in on. Cheap to copy; keeps the connection
// alive until it is used. Call it exactly once per request, from any thread: the response is
// written on the connection's strand. Later calls are ignored.
class HttpResponder {
 public:
  explicit HttpResponder(std::shared_ptr<detail::ResponseSink> sink) : sink_(std::move(sink)) {}

  void operator()(HttpResponse response) const;
  // Runs `make` on the connection's strand and sends what it returns: for responses that take
  // work to build when the caller is a thread that must stay quick (the store's writer).
  void build_on_strand(std::function<HttpResponse()> make) const;

 private:
  std::shared_ptr<detail::ResponseSink> sink_;
};

// What the server calls for every complete request.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Runs on the connection's strand. Must not block: answer through `respond`, now or later
  // from another thread. The connection reads its next request only after the response is
  // written (one request in flight per connection).
  virtual void handle(HttpRequest request, HttpResponder respond) = 0;
};

struct HttpServerOptions {
  // A larger body is answered 413 and the connection closed, before the body is read when
  // Content-Length announces it.
  std::size_t max_body_bytes = 16u << 20;
  // Request line and headers together; larger is answered 431 and the connection closed.
  std::size_t max_header_bytes = 16u << 10;
  // From the moment the server waits for a request until its header has arrived. A kept-alive
  // connection that sends nothing for this long is closed.
  std::chrono::milliseconds header_timeout{std::chrono::seconds(30)};
  // Reading the body, once the header has arrived.
  std::chrono::milliseconds body_timeout{std::chrono::seconds(60)};
  // Writing one response.
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
  // Keep connections open between requests when the client asks to (HTTP/1.1's default).
  bool keep_alive = true;
  // Connections beyond this are answered 503 at once (under TLS, after the handshake) and
  // closed.
  std::size_t max_connections = 1000;

  // Names the server in log lines: "admin", or the HTTP listener's name.
  std::string name = "http";
  // HTTPS: a server context (tls::make_server_context, which sets TLS 1.2 at least and whether
  // a client certificate is asked for or required); null: plain HTTP. Every connection does its
  // handshake within handshake_timeout before a byte of HTTP is read; one that fails is counted
  // and closed (a plain HTTP request is answered 400 in plain text first), and logged with the
  // peer and OpenSSL's reason at most once a minute per address.
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
  // Addresses that may connect (empty: any). A connection from elsewhere is closed at once,
  // before a byte is read, with no answer.
  hisbridge::net::AllowList allow_from;
  // Connections open at once from one address; one more is closed at once, with no answer
  // (see HttpServer). 0: no limit but max_connections.
  std::size_t max_connections_per_ip = 0;
};

// The limits a running server can take anew (a config reload); see HttpServerOptions.
struct HttpServerLimits {
  hisbridge::net::AllowList allow_from;
  std::size_t max_connections_per_ip = 0;
  std::chrono::milliseconds header_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds body_timeout{std::chrono::seconds(60)};
};

// What the server has refused or failed at its door, for logs and metrics. Read with relaxed
// loads. Every refusal is counted; the log says at most one a minute per address.
struct HttpServerCounters {
  // Closed at once, before a byte is read: the peer is not in allow_from; or
  // max_connections_per_ip of its connections were open.
  std::atomic<std::uint64_t> refused_not_allowed{0};
  std::atomic<std::uint64_t> refused_per_ip_limit{0};
  // Answered 503 and closed: max_connections were open.
  std::atomic<std::uint64_t> refused_over_limit{0};
  // TLS handshakes that failed or timed out (a peer that closes before sending a byte is not
  // counted: load balancers' port checks do that).
  std::atomic<std::uint64_t> tls_handshake_failures{0};
};

// Accepts connections on host:port and serves each on its own strand of `ioc`, following
// Beast's asynchronous server example: a connection owns itself, one request and one write in
// flight at a time, a timeout on every read and write.
//
// At accept, cheapest and most telling first: a peer outside allow_from is closed; one with
// max_connections_per_ip connections open is closed too, with no answer (as the MLLP listener
// does): a 503 would cost a TLS handshake and a linger for the one peer that already holds more
// than its share, and an HTTP client that opens that many connections from one address is a
// loop or a leak that a Retry-After does not slow; past max_connections a connection is
// answered 503 with Retry-After, since then it is the server that is busy, not the client.
//
// Under TLS a connection ends with close_notify (async_shutdown, bounded by a second) when it
// ends in order; a connection that broke, timed out or is cut by stop() is simply closed.
//
// Lifetime: `ioc` and `handler` must outlive every handler the server started, i.e. destroy
// them only after the io_context has stopped running (or after stop() and connections() == 0);
// a Responder held elsewhere (by the store's writer) keeps its connection, which needs `ioc`.
class HttpServer {
 public:
  // `host` is an address or a name ("0.0.0.0", "::", "127.0.0.1", "localhost"); port 0 lets
  // the system choose (see port()).
  HttpServer(boost::asio::io_context& ioc, std::string host, std::uint16_t port,
             HttpHandler& handler, HttpServerOptions options = {});
  // stop().
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting. Errors: the system's (address in use, permission denied,
  // host not found). Call once, before or while the io_context runs.
  Result<void> start();
  // The bound port (the system's choice when 0 was asked for); 0 before start().
  std::uint16_t port() const;
  // Stops accepting and closes every connection, cutting a response that is being written.
  // Thread-safe and idempotent.
  void stop();
  // Open connections, for metrics and tests.
  std::size_t connections() const;
  const HttpServerCounters& counters() const;
  // New limits from now on (a config reload). Thread-safe. allow_from and
  // max_connections_per_ip apply to the connections accepted after (those open stay, and count
  // against the new per-address limit); the timeouts to every connection's next read.
  void set_limits(HttpServerLimits limits);
  // The notAfter of the TLS certificate new connections get; nullopt without TLS.
  std::optional<std::chrono::system_clock::time_point> certificate_expiry() const;
  // The server context new connections get (options.tls until replaced); null without TLS.
  std::shared_ptr<boost::asio::ssl::context> tls_context() const;
  // New connections get `next` from now on (a config reload read the TLS files again); those
  // open keep theirs. False, and nothing changed, without TLS. Thread-safe.
  bool replace_tls_context(std::shared_ptr<boost::asio::ssl::context> next);

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace hisbridge::http
