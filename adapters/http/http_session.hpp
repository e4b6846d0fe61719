#pragma once

// Internal to adapters/http: what the HttpServer's acceptor (http_server.cpp) and its
// connections (http_session.cpp) share. Beast stays in http_session.cpp: this header brings in
// Asio's TCP socket only.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>

#include "adapters/http/http_server.hpp"
#include "adapters/net/current_allow_list.hpp"
#include "adapters/net/log_throttle.hpp"
#include "adapters/net/peer_gate.hpp"
#include "adapters/tls/current_context.hpp"

namespace hisbridge::http::detail {

// A connection as the acceptor sees it: plain or TLS, it can be closed from stop().
class SessionBase : public ResponseSink {
 public:
  // Closes the connection at once on its strand (no close_notify), cutting what is in flight.
  virtual void close() = 0;
};

// What the acceptor and every connection share. Connections keep it alive after the server
// object is gone, until their last handler has run.
struct ServerState {
  ServerState(HttpHandler& h, HttpServerOptions o)
      : handler(h),
        options(std::move(o)),
        tls(options.tls),
        allow_from(options.allow_from),
        header_timeout_ms(options.header_timeout.count()),
        body_timeout_ms(options.body_timeout.count()),
        gate(options.max_connections_per_ip) {}

  // The limits set_limits may change while connections run, read where they apply.
  std::chrono::milliseconds header_timeout() const {
    return std::chrono::milliseconds(header_timeout_ms.load(std::memory_order_relaxed));
  }
  std::chrono::milliseconds body_timeout() const {
    return std::chrono::milliseconds(body_timeout_ms.load(std::memory_order_relaxed));
  }

  HttpHandler& handler;
  const HttpServerOptions options;
  // The server context new connections take: options.tls until a reload replaces it.
  hisbridge::tls::CurrentContext tls;
  // options' allow_from and timeouts until set_limits changes them.
  hisbridge::net::CurrentAllowList allow_from;
  std::atomic<std::chrono::milliseconds::rep> header_timeout_ms;
  std::atomic<std::chrono::milliseconds::rep> body_timeout_ms;
  HttpServerCounters counters;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> stopped{false};
  hisbridge::net::PeerGate gate;                // max_connections_per_ip
  hisbridge::net::LogThrottle refusal_log;      // one line a minute per refused address
  hisbridge::net::LogThrottle handshake_log;    // one line a minute per failing address
  std::mutex mutex;
  std::unordered_map<const SessionBase*, std::weak_ptr<SessionBase>> sessions;  // by mutex
};

// Who is at the other end of a connection.
struct Peer {
  hisbridge::net::IpAddress address;  // what the allow-list, the gate and the log limit see
  std::string text;                   // "10.1.2.3:51234", "[fd00::1]:51234", for log lines
};

// Serves an accepted connection: over TLS (state->tls's current context) when state->options.tls is set, else plain HTTP.
// `ticket` holds the peer's place under max_connections_per_ip until the connection closes;
// with `over_capacity` the connection is answered 503 and closed.
void serve(boost::asio::ip::tcp::socket socket, std::shared_ptr<ServerState> state,
           hisbridge::net::PeerGate::Ticket ticket, Peer peer, bool over_capacity);

}  // namespace hisbridge::http::detail
