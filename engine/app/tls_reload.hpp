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

// What reading one server's TLS files again gave, for the reload's log line and audit entry.
struct TlsReread {
  std::string server;     // "listener lis", "admin"
  bool replaced = false;  // new connections get the files' context from now on
  // replaced: "new certificate, expires ... (SHA-256 ...)" or "certificate unchanged, expires
  // ..."; not replaced: why, and that the running files stay.
  std::string detail;
};

// A running server whose TLS context a reload may replace (an MLLP or HTTP listener, the
// admin server).
struct TlsServer {
  std::string name;  // as TlsReread::server
  const config::TlsConfig* tls = nullptr;
  std::function<std::shared_ptr<boost::asio::ssl::context>()> current;
  std::function<bool(std::shared_ptr<boost::asio::ssl::context>)> replace;
};

// Reads the server's certificate, key and CA files again (the names the engine started with)
// and, when they make a valid context, gives it to the connections accepted from now on;
// those open keep theirs. A file that is missing, not PEM, or a key that does not match leaves
// the running context in place. So a renewed certificate needs a reload, not a restart.
TlsReread reread_tls(const TlsServer& server);

// When the certificate new connections of `server` get expires; nullopt without one.
std::optional<std::chrono::system_clock::time_point> certificate_expiry(const TlsServer& server);

// The log line for a certificate that expires within `warn_days` (or has expired), naming the
// server, the date and what to do; nullopt while it has longer.
std::optional<std::string> expiry_warning(std::string_view server,
                                          std::chrono::system_clock::time_point expires_at,
                                          std::chrono::system_clock::time_point now,
                                          int warn_days);

}  // namespace hisbridge::app
