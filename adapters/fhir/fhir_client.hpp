#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "engine/core/result.hpp"

namespace hisbridge::fhir {

struct FhirClientOptions {
  // The server's base: `http://host[:port][/path]` or `https://...`. A transaction Bundle is
  // POSTed to the base itself (FHIR R4 §3.1.0.11.2).
  std::string base_url;
  // Resolving and connecting, the TLS handshake included.
  std::chrono::milliseconds connect_timeout{5000};
  // Writing the request and reading the whole answer. A transaction of a few hundred
  // resources may take the server seconds.
  std::chrono::milliseconds request_timeout{30000};
  // HTTPS: check the server's certificate chain and that it names the host. Turning this off
  // is for test servers only.
  bool verify_peer = true;
  // HTTPS: PEM file of the CAs to trust; empty means the system's store (ca-certificates).
  std::string ca_file;
  // The value of an Authorization header (`Bearer ...`) for servers that want one; empty for
  // none.
  std::string authorization;
  // The largest answer read; a transaction-response Bundle echoes every entry.
  std::size_t max_response_bytes = std::size_t{16} * 1024 * 1024;
};

// What the delivery queue does with an outcome.
enum class Disposition {
  ok,     // 2xx: delivered
  retry,  // 5xx, 429, 408, a timeout, a refused/reset/closed connection, TLS: try again later
  dead,   // any other answer (4xx: the server will refuse this bundle again), a bad base URL
};

struct FhirResponse {
  unsigned status = 0;  // the HTTP status code
  std::string body;     // the answer as sent (a transaction-response Bundle, an OperationOutcome)
  Disposition disposition = Disposition::dead;
};

// The disposition of an HTTP status code, and of a failed exchange.
Disposition classify(unsigned status);
Disposition classify(const Result<FhirResponse>& outcome);

// A blocking FHIR client for one server, for a delivery queue's own thread: one exchange at a
// time, not thread-safe. Runs its own io_context on the calling thread; Beast, Asio and OpenSSL
// stay inside fhir_client.cpp.
//
// The connection is kept alive between posts and opened again when the server closed it (an
// idle timeout, `Connection: close`). When a reused connection turns out to be closed before
// any byte of the answer arrived, the post is sent once more on a new connection: a bundle of
// conditional updates with an Idempotency-Key is safe to repeat. Any other failure is
// returned, never retried here; the queue decides (classify).
class FhirClient {
 public:
  // Error::bad_url when the base URL cannot be used; nothing is connected yet.
  static Result<std::unique_ptr<FhirClient>> create(FhirClientOptions options);
  ~FhirClient();
  FhirClient(const FhirClient&) = delete;
  FhirClient& operator=(const FhirClient&) = delete;

  // POSTs `bundle` (Content-Type application/fhir+json, `Idempotency-Key: <key>`) and returns
  // the answer, whatever its status; its `disposition` is set. Errors: resolve_failed,
  // connection_refused, timeout, closed, tls_failed, bad_response, or the system's error_code.
  Result<FhirResponse> post_bundle(const nlohmann::json& bundle, std::string_view idempotency_key);

  // How many connections this client has opened: tests watch keep-alive with it.
  std::size_t connections_opened() const noexcept;

 private:
  class Impl;
  explicit FhirClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hisbridge::fhir
