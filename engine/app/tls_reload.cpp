#include "engine/app/tls_reload.hpp"

#include "adapters/tls/tls_context.hpp"

namespace hisbridge::app {

TlsReread reread_tls(const TlsEndpoint& endpoint) {
  TlsReread out{endpoint.name, false, {}};
  auto next = endpoint.client
                  ? tls::make_client_context(*endpoint.tls, endpoint.verify_peer, endpoint.name)
                  : tls::make_server_context(*endpoint.tls, endpoint.name);
  if (!next) {
    out.detail = next.error() + "; the running certificate stays";
    return out;
  }
  const auto running = endpoint.current();
  const std::string was = running ? tls::certificate_fingerprint(*running) : std::string();
  const std::string now = tls::certificate_fingerprint(**next);
  const auto expiry = tls::certificate_expiry(**next);
  if (!endpoint.replace(*next)) {
    out.detail = "runs without TLS; TLS waits for a restart";
    return out;
  }
  out.replaced = true;
  if (now.empty()) {
    out.detail = "CA files read again (no certificate of its own)";
    return out;
  }
  const std::string expires =
      "expires " + (expiry ? tls::format_utc(*expiry) : std::string("(unknown)"));
  out.detail = now == was ? "certificate unchanged, " + expires
                          : "new certificate, " + expires + " (SHA-256 " + now + ")";
  return out;
}

std::optional<std::chrono::system_clock::time_point> certificate_expiry(const TlsEndpoint& endpoint) {
  const auto context = endpoint.current();
  return context ? tls::certificate_expiry(*context) : std::nullopt;
}

std::optional<std::string> expiry_warning(std::string_view server,
                                          std::chrono::system_clock::time_point expires_at,
                                          std::chrono::system_clock::time_point now,
                                          int warn_days) {
  const auto left = std::chrono::floor<std::chrono::days>(expires_at - now);
  if (left.count() >= warn_days) {
    return std::nullopt;
  }
  const std::string when = tls::format_utc(expires_at);
  if (expires_at <= now) {
    return std::string(server) + ": the TLS certificate expired on " + when +
           ": peers that check it refuse the connection; renew it, then systemctl reload hisbridge";
  }
  return std::string(server) + ": the TLS certificate expires in " + std::to_string(left.count()) +
         (left.count() == 1 ? " day" : " days") + " (" + when +
         "): renew it, then systemctl reload hisbridge";
}

}  // namespace hisbridge::app
