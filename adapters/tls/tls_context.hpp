#pragma once

// TLS contexts for the engine's listeners and outbound connections, made from a
// config::TlsConfig. This header includes Asio's SSL context (and so OpenSSL's headers):
// include it only from the .cpp files that do TLS, never from a public header of an adapter.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include "engine/config/config.hpp"
#include "engine/core/result.hpp"

namespace hisbridge::tls {

using Context = boost::asio::ssl::context;
using TimePoint = std::chrono::system_clock::time_point;

// Every context: TLS 1.2 at least (RFC 8996 retired 1.0 and 1.1), no compression (CRIME), no
// renegotiation, forward-secret AEAD cipher suites for TLS 1.2 (TLS 1.3 keeps OpenSSL's).
//
// Errors are start-up errors for an operator: one line that names `who` ("listener lis",
// "destination his-mllp", "admin"), the file and what is wrong with it, with OpenSSL's reason:
//   listener lis: TLS certificate 'x.pem': cannot read: No such file or directory
//   listener lis: TLS certificate 'x.pem' is not a PEM certificate (no start line)
//   listener lis: TLS private key 'k.pem' does not match the certificate 'x.pem'
//   listener lis: TLS CA file 'ca.pem' holds no usable CA certificate (...)

// A listener's (or the admin server's) context: `certificate` (the chain, leaf first) and
// `private_key` are required and must match. With `ca`, a client certificate is asked for and
// must chain to it; with require_client_certificate too, a client without one is refused.
// An expired or not yet valid certificate is logged as an error but does not fail (see the
// .cpp for why).
Result<std::shared_ptr<Context>, std::string> make_server_context(const config::TlsConfig& config,
                                                                  std::string_view who);

// An outbound connection's context. With verify_peer, the server's chain must verify against
// `ca` (or the system's CAs when `ca` is empty); pair it with expect_server_name on each
// connection for the host name. `certificate` and `private_key`, when set, are the client
// certificate a mutual-TLS server asks for.
Result<std::shared_ptr<Context>, std::string> make_client_context(const config::TlsConfig& config,
                                                                  bool verify_peer,
                                                                  std::string_view who);

// The notAfter of the context's own certificate (the leaf loaded by make_server_context or
// the client certificate); nullopt when it has none. For the certificate-expiry metric.
std::optional<TimePoint> certificate_expiry(const Context& context);

// The SHA-256 fingerprint of the context's own certificate, as `openssl x509 -fingerprint
// -sha256` prints it ("AB:01:..."); empty when it has none. Tells a renewed certificate from
// the one before.
std::string certificate_fingerprint(const Context& context);

// Before a client handshake on `ssl`: sends `name` as SNI (RFC 6066: host names only, never
// an IP literal) and, when the context verifies the peer, requires the server's certificate to
// carry it (a DNS name, or an IP address in an iPAddress subjectAltName). Fails with a
// sentence when OpenSSL refuses the name.
Result<void, std::string> expect_server_name(SSL* ssl, const std::string& name);

// Why a handshake failed, for a log line or a queue's last error, without any message
// content: "certificate verify failed: certificate has expired" when the certificate check
// failed (OpenSSL's verify result), else OpenSSL's reason ("wrong version number", "peer did
// not return a certificate") or the socket's error.
std::string handshake_error_text(SSL* ssl, const boost::system::error_code& ec);

// "2025-03-01 00:00:00 UTC", for log lines about certificates.
std::string format_utc(TimePoint when);

}  // namespace hisbridge::tls
