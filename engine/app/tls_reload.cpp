#include "engine/app/tls_reload.hpp"

#include "adapters/tls/tls_context.hpp"

namespace hisbridge::app {

TlsReread reread_tls(const TlsServer& server) {
  TlsReread out{server.name, false, {}};
  auto next = tls::make_server_context(*server.tls, server.name);
  if (!next) {
    out.detail = next.error() + "; the running certificate stays";
    return out;
  }
  const auto running = server.current();
  const std::string was = running ? tls::certificate_fingerprint(*running) : std::string();
  const std::string now = tls::certificate_fingerprint(**next);
  const auto expiry = tls::certificate_expiry(**next);
  const std::string expires =
      "expires " + (expiry ? tls::format_utc(*expiry) : std::string("(unknown)"));
  if (!server.replace(*next)) {
    out.detail = "runs without TLS; TLS waits for a restart";
    return out;
  }
  out.replaced = true;
  out.detail = now == was ? "certificate unchanged, " + expires
                          : "new certificate, " + expires + " (SHA-256 " + now + ")";
  return out;
}

}  // namespace hisbridge::app
