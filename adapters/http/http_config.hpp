#pragma once

#include <string>

#include "adapters/http/http_ingest_listener.hpp"
#include "adapters/http/http_server.hpp"
#include "engine/config/config.hpp"
#include "engine/core/result.hpp"

namespace hisbridge::http {

// The options an `http` listener's config asks for: address, body size, connection limits,
// allow-list, timeouts and TLS (the server context is made here, so its files are read now).
// message_timeout bounds the request's header (from the connection, or from the previous
// answer on a kept-alive one) and then its body. Fails with one sentence that names the
// listener: a bad allow_from entry, a TLS file that is missing or wrong.
Result<HttpIngestOptions, std::string> ingest_options(const config::ListenerConfig& listener);

// The limits of ingest_options that a running listener can take anew (a config reload):
// allow_from, max_connections_per_ip and the timeouts message_timeout sets. Fails as
// ingest_options does on a bad allow_from entry.
Result<HttpServerLimits, std::string> listener_limits(const config::ListenerConfig& listener);

// The admin server's options (API, dashboard, /metrics): small GET requests, 64 connections,
// HTTPS when config.admin.tls is set. Fails as ingest_options does, naming "admin".
Result<HttpServerOptions, std::string> admin_server_options(const config::AdminConfig& admin);

}  // namespace hisbridge::http
