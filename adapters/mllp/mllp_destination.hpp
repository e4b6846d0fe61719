#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "adapters/mllp/framer.hpp"
#include "adapters/mllp/mllp_client.hpp"
#include "engine/router/destination.hpp"

namespace hisbridge::mllp {

struct MllpDestinationOptions {
  std::string host;
  std::uint16_t port = 0;
  // Bounds each delivery as a whole: connecting when needed, writing, and waiting for the ACK.
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  // The largest ACK accepted.
  std::size_t max_frame_bytes = kDefaultMaxFrameBytes;
  // TLS: a client context (tls::make_client_context); null: plain MLLP. server_name: the name
  // the server's certificate must carry (empty: host).
  std::shared_ptr<boost::asio::ssl::context> tls{};
  std::string server_name{};
};

// The `mllp` destination: forwards each message, exactly as received (the journal's bytes), to
// another system's MLLP listener and waits for its acknowledgment (HL7 v2.5.1 Appendix C). One
// connection is kept open from one message to the next and opened again when it drops.
//
// The answer is the first ACK whose MSA-2 is the message's control id (MSH-10). An ACK with
// another MSA-2 answers an earlier send that timed out at the peer's end: it is dropped and the
// wait goes on, within the same timeout.
//   AA, CA                 delivered
//   AE, CE                 retry (the reason holds the ACK's MSA-3/ERR text)
//   AR, CR                 failed: the entry is a dead letter (the reason holds the ACK's text)
//   no ACK in time, connection refused or closed before the ACK, an answer that is not an
//   ACK, a host name that does not resolve, a TLS failure (a certificate that does not
//   verify: the other side may renew it, so it is retried, with OpenSSL's reason and the
//   peer's address as the reason: "TLS: certificate verify failed: certificate has expired
//   (peer 10.1.2.3:2575)")
//                          retry; the connection is closed so the next attempt starts clean
//   bytes MLLP cannot frame (0x0B or 0x1C in the message)
//                          failed
// Retrying is safe only as far as the peer is: it may have stored a message whose ACK was lost,
// and a sender's MSH-10 is what a receiver deduplicates by.
//
// Logs name the destination, journal ids, control ids, counts and ACK codes, never message
// or ACK text. deliver() is called from one thread at a time (the destination's worker).
class MllpDestination final : public router::Destination {
 public:
  MllpDestination(std::string name, const MllpDestinationOptions& options);

  const std::string& name() const override { return name_; }
  router::Delivery deliver(const router::DeliveryItem& item) override;
  std::shared_ptr<boost::asio::ssl::context> tls_context() const override {
    return client_.tls_context();
  }
  bool replace_tls_context(std::shared_ptr<boost::asio::ssl::context> next) override {
    return client_.replace_tls_context(std::move(next));
  }

 private:
  router::Delivery failed_send(const boost::system::error_code& error, std::int64_t id);

  std::string name_;
  std::string peer_;  // host:port, for reasons and logs
  std::chrono::milliseconds timeout_;
  MllpClient client_;
};

}  // namespace hisbridge::mllp
