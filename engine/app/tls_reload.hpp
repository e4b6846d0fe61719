#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <string_view>

#include "engine/config/config.hpp"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace hisbridge::app {

// What reading one endpoint's TLS files again gave, for the reload's log line and audit entry.
struct TlsReread {
  std::string server;     // the endpoint's name: "listener lis", "admin", "destination lab/his"
  bool replaced = false;  // new connections get the files' context from now on
  // replaced: "new certificate, expires ... (SHA-256 ...)", "certificate unchanged, expires
  // ...", or for a destination without a certificate of its own "CA files read again"; not
  // replaced: why, and that the running files stay.
  std::string detail;
};

// A running TLS endpoint whose context a reload may replace: a listener or the admin server
// (server contexts), or an MLLP destination (a client context: the CA it checks the server
// against, and its own certificate for mutual TLS).
struct TlsEndpoint {
  std::string name;  // as TlsReread::server
  const config::TlsConfig* tls = nullptr;
  std::function<std::shared_ptr<boost::asio::ssl::context>()> current;
  std::function<bool(std::shared_ptr<boost::asio::ssl::context>)> replace;
  // An outbound endpoint: a client context, verifying the server when verify_peer.
  bool client = false;
  bool verify_peer = true;
};

// Reads the endpoint's certificate, key and CA files again (the names the engine started
// with) and, when they make a valid context, gives it to the connections made from now on;
// those open keep theirs. A file that is missing, not PEM, or a key that does not match leaves
// the running context in place. So a renewed certificate needs a reload, not a restart.
TlsReread reread_tls(const TlsEndpoint& endpoint);

// When the certificate the endpoint's new connections present expires; nullopt without one.
std::optional<std::chrono::system_clock::time_point> certificate_expiry(const TlsEndpoint& endpoint);

// The log line for a certificate that expires within `warn_days` (or has expired), naming the
// server, the date and what to do; nullopt while it has longer.
std::optional<std::string> expiry_warning(std::string_view server,
                                          std::chrono::system_clock::time_point expires_at,
                                          std::chrono::system_clock::time_point now,
                                          int warn_days);

}  // namespace hisbridge::app
