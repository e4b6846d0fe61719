#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adapters/http/http_server.hpp"
#include "engine/core/result.hpp"
#include "engine/router/source.hpp"

namespace hisbridge::http {

struct HttpIngestOptions {
  // The names `POST /ingest/{channel}` accepts: listener (source) names, each message's
  // Envelope::source. Any other name is answered 404.
  std::vector<std::string> sources;
  std::string host = "0.0.0.0";
  std::uint16_t port = 0;  // 0: the system chooses (see port())
  // Limits, timeouts, TLS and the allow-list of the server under it.
  HttpServerOptions server;
  // Retry-After on a 503 when the message could not be stored.
  std::chrono::seconds retry_after{10};
  // Retry-After on a 503 while ingest is paused (set_paused, or back-pressure: the source's
  // SourceCallbacks::paused): short, since a draining queue resumes the source within seconds.
  std::chrono::seconds paused_retry_after{5};
};

// The HTTP inbound adapter: `POST /ingest/{channel}` with one message as the body.
//
// Bodies, by Content-Type (parameters such as charset are ignored: the message is stored as
// the bytes that were sent, and MSH-18 or the source's configured character set says how to
// read them):
//   ER7   x-application/hl7-v2+er7, application/hl7-v2, application/hl7-v2+er7, text/plain
//   XML   application/xml, text/xml, application/hl7-v2+xml (HL7 v2.xml or a vendor's XML)
// The answer is the ACK Ingest builds: as ER7 for ER7 requests, written as HL7 v2.xml
// (v2xml_ack.hpp) for XML requests, with the request's media type.
//
// Status codes:
//   200  accepted: stored, ACK AA/CA
//   400  rejected: the message could not be read (AR/CR); the body is still the ACK, whose
//        ERR says why
//   422  read but refused (AE/CE); body: the ACK
//   503  not stored (store failure; the body is the ACK) or ingest paused (text: this
//        listener's switch, or back-pressure on the source), with Retry-After: the sender
//        must send the message again later; a paused request is not handed to Ingest
//   404  unknown path or channel; 405 not POST (Allow: POST); 415 unsupported Content-Type;
//   413  body larger than server.max_body_bytes (from HttpServer); all with a text body
//
// Threads: handle() runs on the connection's strand; Ingest's reply comes on the store's
// writer thread and the response is built and written on the connection's strand.
// `callbacks` must outlive the listener and every pending reply.
class HttpIngestListener final : public HttpHandler {
 public:
  HttpIngestListener(boost::asio::io_context& ioc, HttpIngestOptions options,
                     router::SourceCallbacks& callbacks);
  ~HttpIngestListener() override;
  HttpIngestListener(const HttpIngestListener&) = delete;
  HttpIngestListener& operator=(const HttpIngestListener&) = delete;

  // Binds and starts accepting (HttpServer::start).
  Result<void> start();
  void stop();
  std::uint16_t port() const { return server_.port(); }
  std::size_t connections() const { return server_.connections(); }
  // Refusals and TLS handshake failures at the door (HttpServer::counters).
  const HttpServerCounters& counters() const { return server_.counters(); }
  // The notAfter of the TLS certificate; nullopt without TLS.
  std::optional<std::chrono::system_clock::time_point> certificate_expiry() const {
    return server_.certificate_expiry();
  }
  // HttpServer::set_limits.
  void set_limits(HttpServerLimits limits) { server_.set_limits(std::move(limits)); }
  // HttpServer::tls_context and replace_tls_context.
  std::shared_ptr<boost::asio::ssl::context> tls_context() const { return server_.tls_context(); }
  bool replace_tls_context(std::shared_ptr<boost::asio::ssl::context> next) {
    return server_.replace_tls_context(std::move(next));
  }

  // While paused, every ingest request is answered 503 with Retry-After and nothing is handed
  // to Ingest: back-pressure when the store or the processing behind it falls behind.
  // Thread-safe.
  void set_paused(bool paused) { paused_.store(paused); }
  bool paused() const { return paused_.load(); }

  void handle(HttpRequest request, HttpResponder respond) override;

 private:
  HttpIngestOptions options_;
  router::SourceCallbacks& callbacks_;
  std::atomic<bool> paused_{false};
  HttpServer server_;  // last: its connections call handle()
};

}  // namespace hisbridge::http
