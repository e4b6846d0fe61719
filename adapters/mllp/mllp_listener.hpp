#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "adapters/mllp/framer.hpp"
#include "adapters/net/address_range.hpp"
#include "engine/core/result.hpp"
#include "engine/router/source.hpp"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}  // namespace ssl
}  // namespace boost::asio

namespace hisbridge::mllp {

struct MllpListenerOptions {
  std::string name;              // the source name every Envelope carries, e.g. "lis"
  std::string host = "0.0.0.0";  // an IP address to bind (IPv4 or IPv6)
  std::uint16_t port = 0;        // 0: a free port the system picks (see MllpListener::port)
  // The largest message (framing excluded) a frame may carry; a longer one is answered AR and
  // its connection closed.
  std::size_t max_frame_bytes = kDefaultMaxFrameBytes;
  // Connections open at once; one more is accepted and closed at once.
  std::size_t max_connections = 1024;
  // A connection that sent no byte and took no ACK for this long, while none of its messages
  // awaits an answer, is closed.
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
  // Messages of one connection handed to the engine and not yet answered; at the limit the
  // connection stops reading until answers come back (at least 1).
  std::size_t max_in_flight = 64;

  // TLS: a server context (tls::make_server_context); null: plain MLLP. Each connection does
  // its handshake within handshake_timeout before a byte of MLLP is read; one that fails is
  // counted, logged once with the peer and OpenSSL's reason, and closed.
  std::shared_ptr<boost::asio::ssl::context> tls{};
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
  // Addresses that may connect (empty: any); a connection from elsewhere is closed at once,
  // before a byte is read.
  hisbridge::net::AllowList allow_from;
  // Connections open at once from one address; one more is closed at once. 0: no limit (the
  // engine passes the listener's config, 100 unless set).
  std::size_t max_connections_per_ip = 0;
  // Once a message has begun (any byte after the previous complete message, or after the
  // connect), it must be complete within this, however slowly its bytes come; else the
  // connection is closed. Time the listener itself holds off reading does not count. 0: off.
  std::chrono::milliseconds message_timeout{std::chrono::minutes(2)};
  // Messages one connection may hand in per second, with a burst of one second's worth; past
  // it reading pauses until the rate allows the next (never a drop). 0: no limit.
  double max_frames_per_second = 0;
};

// The limits a running listener can take anew (a config reload); see MllpListenerOptions.
struct MllpListenerLimits {
  hisbridge::net::AllowList allow_from;
  std::size_t max_connections_per_ip = 0;
  std::chrono::milliseconds message_timeout{0};
  double max_frames_per_second = 0;
};

// What the listener has seen since it was made, for logs and metrics. Read with relaxed loads.
struct MllpListenerCounters {
  std::atomic<std::uint64_t> connections_accepted{0};  // served; refused ones not included
  std::atomic<std::uint64_t> connections_open{0};
  // Accepted and closed at once, before a byte is read: max_connections were open; the peer
  // is not in allow_from; max_connections_per_ip of its connections were open.
  std::atomic<std::uint64_t> connections_refused_over_limit{0};
  std::atomic<std::uint64_t> connections_refused_not_allowed{0};
  std::atomic<std::uint64_t> connections_refused_per_ip_limit{0};
  // TLS handshakes that failed or timed out (a peer that closes before sending a byte is not
  // counted: load balancers' port checks do that).
  std::atomic<std::uint64_t> tls_handshake_failures{0};
  std::atomic<std::uint64_t> message_timeouts{0};  // closed: a message took over message_timeout
  std::atomic<std::uint64_t> frames_throttled{0};  // frames that waited for max_frames_per_second
  std::atomic<std::uint64_t> frames{0};            // complete frames handed to the engine
  std::atomic<std::uint64_t> frames_too_large{0};  // answered AR, connection closed
  std::atomic<std::uint64_t> idle_timeouts{0};     // connections closed for idleness
  std::atomic<std::uint64_t> bytes_ignored{0};     // bytes outside any frame
  // Unfinished frames dropped: restarted by a new <SB>, or cut short by the peer closing.
  std::atomic<std::uint64_t> frames_abandoned{0};
  std::atomic<std::uint64_t> messages_answered{0};  // ACKs handed to the socket
  std::atomic<std::uint64_t> negative_acks{0};      // of those, the ones not AA/CA
};

// The MLLP source (HL7 v2.5.1 Appendix C): accepts connections from LIS/RIS senders, frames the
// bytes into messages, hands each to `callbacks.on_message` and writes back the ACK that the
// engine's reply carries, and only that: the listener never acknowledges by itself, so an ACK
// always means the message was stored. Asio stays inside mllp_listener.cpp.
//
// Each connection runs on its own strand of `ioc`, which any number of threads may run.
// Pipelining: a sender may send many messages without awaiting their ACKs; they are answered
// in the order they arrived, each exactly once, however the replies complete. At
// max_in_flight unanswered messages a connection stops reading (back-pressure to the sender).
//
// Lifetime: `callbacks` must outlive the listener and its connections. A connection lives on
// until every reply it awaits has run, even after stop(); every reply must therefore run
// while `ioc` is still being run (stop the callbacks, e.g. drain the group committer, before
// stopping `ioc`), and `ioc` must outlive all replies.
class MllpListener {
 public:
  MllpListener(boost::asio::io_context& ioc, MllpListenerOptions options,
               router::SourceCallbacks& callbacks);
  // stop().
  ~MllpListener();
  MllpListener(const MllpListener&) = delete;
  MllpListener& operator=(const MllpListener&) = delete;

  // Binds and listens, then accepts on `ioc`. Fails with the system's error (address in use,
  // permission denied, an unparsable host: invalid_argument) and logs why. Call once.
  Result<void> start();

  // The port bound by start(); 0 before.
  std::uint16_t port() const;

  // Stops accepting and closes every connection; ACKs still owed are not sent (the senders
  // will resend). Thread-safe and idempotent; the work runs on `ioc`, so it takes effect as
  // `ioc` runs.
  void stop();

  // An engine-wide switch: while on, no connection hands new messages to the engine and none
  // reads further bytes (a read already under way completes, and its frames wait). Reading
  // resumes when switched off. Thread-safe.
  void pause_reading(bool paused);

  const MllpListenerCounters& counters() const;
  // As made: set_limits changes what the listener applies, not these.
  const MllpListenerOptions& options() const;

  // New limits from now on (a config reload). Thread-safe. allow_from and
  // max_connections_per_ip apply to the connections accepted after (those open stay, and count
  // against the new per-address limit); message_timeout and max_frames_per_second to every
  // connection, from its next check.
  void set_limits(MllpListenerLimits limits);

  // The notAfter of the TLS certificate new connections get; nullopt without TLS.
  std::optional<std::chrono::system_clock::time_point> certificate_expiry() const;
  // The server context new connections get (options().tls until replaced); null without TLS.
  std::shared_ptr<boost::asio::ssl::context> tls_context() const;
  // New connections get `next` from now on (a config reload read the TLS files again); those
  // open keep theirs. False, and nothing changed, for a listener without TLS. Thread-safe.
  bool replace_tls_context(std::shared_ptr<boost::asio::ssl::context> next);

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace hisbridge::mllp
