#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/mllp/error.hpp"
#include "adapters/mllp/framer.hpp"
#include "engine/core/result.hpp"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace hisbridge::mllp {

struct ClientOptions {
  // Bounds each `send` as a whole: resolving and connecting when needed, writing the message
  // and reading its ACK.
  std::chrono::milliseconds timeout{10000};
  // The largest ACK accepted; a longer one fails with Error::frame_too_large.
  std::size_t max_frame_bytes = kDefaultMaxFrameBytes;
  // TLS: a client context (tls::make_client_context, which decides whether the server's
  // certificate is verified); null: plain MLLP.
  std::shared_ptr<boost::asio::ssl::context> tls{};
  // The name the server's certificate must carry (a DNS name or an IP address), also sent as
  // SNI; empty: the host connected to.
  std::string server_name{};
};

// A blocking MLLP sender for command-line tools and tests: one connection, one message at a
// time, each waiting for its ACK before the next is sent (HL7 v2.5.1 Appendix C). Runs its own
// io_context on the calling thread; not thread-safe. Asio stays inside mllp_client.cpp.
//
// The connection is opened by the first `send` and kept for the next ones. A send that fails
// closes it, so the next send reconnects; so does a peer that closed it between two sends
// (servers that close after every ACK). A failed send is never retried: the peer may have
// stored the message already.
class MllpClient {
 public:
  MllpClient(std::string host, std::uint16_t port, ClientOptions options = {});
  ~MllpClient();
  MllpClient(const MllpClient&) = delete;
  MllpClient& operator=(const MllpClient&) = delete;

  // Decides whether a frame that came back (framing removed) answers the message just sent.
  // Called on the calling thread, inside `send`.
  using AnswerFilter = std::function<bool(std::string_view frame)>;

  // Sends `message` in one frame and returns the message of the first frame that comes back
  // (the ACK, framing removed, not interpreted). Errors: Error::forbidden_byte (nothing sent),
  // resolve_failed, connection_refused, timeout, closed_before_ack, frame_too_large,
  // tls_failed (tls_error() says why), or the system's error_code for other socket failures.
  Result<std::string> send(std::string_view message);

  // The same, returning the first frame `is_answer` accepts: the frames it refuses (a late ACK
  // of an earlier message that timed out at the peer's end) are dropped and reading goes on,
  // all within the one timeout. A peer that sends only refused frames ends in Error::timeout.
  Result<std::string> send(std::string_view message, const AnswerFilter& is_answer);

  bool connected() const noexcept;
  // Closes the connection; a TLS one first ends its session with close_notify (waiting at most
  // half a second for the peer's). The destructor does the same.
  void close() noexcept;

  // The TLS context of the connections made from now on (options.tls until replaced); null
  // without TLS. replace_tls_context: the next connection gets `next` (a config reload read the
  // certificate files again); one open goes on with its own. False, and nothing changed,
  // without TLS. Both thread-safe.
  std::shared_ptr<boost::asio::ssl::context> tls_context() const;
  bool replace_tls_context(std::shared_ptr<boost::asio::ssl::context> next);

  // After a send that failed with Error::tls_failed: why, with the peer's address, e.g.
  // "certificate verify failed: certificate has expired (peer 10.1.2.3:2575)". Empty otherwise.
  const std::string& tls_error() const noexcept;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// One connection, one message, one ACK.
Result<std::string> send_message(const std::string& host, std::uint16_t port,
                                 std::string_view message, const ClientOptions& options = {});

}  // namespace hisbridge::mllp
