#include "adapters/http/http_config.hpp"

#include <utility>

#include "adapters/tls/tls_context.hpp"

namespace hisbridge::http {
namespace {

// Says which side of the Result a string is, as a std::string converts to either.
template <class Options>
Result<Options, std::string> fail(std::string why) {
  return {boost::system::in_place_error, std::move(why)};
}

// TLS when the config has a `tls` object: a missing or wrong file names `who` and the file.
Result<void, std::string> add_tls(HttpServerOptions& options, const config::TlsConfig& tls,
                                  const std::string& who) {
  if (!tls.enabled) {
    return {};
  }
  auto context = tls::make_server_context(tls, who);
  if (!context) {
    return context.error();
  }
  options.tls = std::move(*context);
  options.handshake_timeout = tls.handshake_timeout;
  return {};
}

}  // namespace

Result<HttpServerLimits, std::string> listener_limits(const config::ListenerConfig& l) {
  auto allowed = hisbridge::net::AllowList::parse(l.allow_from);
  if (!allowed) {
    return fail<HttpServerLimits>("listener " + l.name + ": allow_from: " + allowed.error());
  }
  // A slow sender gets message_timeout for the header, then as long again for the body.
  return HttpServerLimits{std::move(*allowed), l.max_connections_per_ip, l.message_timeout,
                          l.message_timeout};
}

Result<HttpIngestOptions, std::string> ingest_options(const config::ListenerConfig& l) {
  auto limits = listener_limits(l);
  if (!limits) {
    return fail<HttpIngestOptions>(limits.error());
  }
  HttpIngestOptions options;
  options.sources = {l.name};
  options.host = l.host;
  options.port = l.port;
  HttpServerOptions& server = options.server;
  server.name = l.name;
  server.max_body_bytes = l.max_frame_bytes;
  server.max_connections = l.max_connections;
  server.max_connections_per_ip = limits->max_connections_per_ip;
  server.header_timeout = limits->header_timeout;
  server.body_timeout = limits->body_timeout;
  server.allow_from = std::move(limits->allow_from);
  if (auto tls = add_tls(server, l.tls, "listener " + l.name); !tls) {
    return fail<HttpIngestOptions>(tls.error());
  }
  return options;
}

Result<HttpServerOptions, std::string> admin_server_options(const config::AdminConfig& admin) {
  HttpServerOptions options;
  options.name = "admin";
  options.max_body_bytes = 64u << 10;  // requests are GETs and small JSON bodies
  options.max_connections = 64;
  if (auto tls = add_tls(options, admin.tls, "admin"); !tls) {
    return fail<HttpServerOptions>(tls.error());
  }
  return options;
}

}  // namespace hisbridge::http
