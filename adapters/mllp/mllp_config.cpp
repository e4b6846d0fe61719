#include "adapters/mllp/mllp_config.hpp"

#include "adapters/tls/tls_context.hpp"

namespace hisbridge::mllp {
namespace {

// The options structs begin with a string, so (C++20 parenthesized aggregate init) a string
// could make either side of the Result: say which.
template <class Options>
Result<Options, std::string> fail(std::string why) {
  return {boost::system::in_place_error, std::move(why)};
}

}  // namespace

Result<MllpListenerOptions, std::string> listener_options(const config::ListenerConfig& l) {
  MllpListenerOptions options;
  options.name = l.name;
  options.host = l.host;
  options.port = l.port;
  options.max_frame_bytes = l.max_frame_bytes;
  options.max_connections = l.max_connections;
  options.idle_timeout = l.idle_timeout;
  options.max_connections_per_ip = l.max_connections_per_ip;
  options.message_timeout = l.message_timeout;
  options.max_frames_per_second = l.max_frames_per_second;
  auto allowed = hisbridge::net::AllowList::parse(l.allow_from);
  if (!allowed) {
    return fail<MllpListenerOptions>("listener " + l.name + ": allow_from: " + allowed.error());
  }
  options.allow_from = std::move(*allowed);
  if (l.tls.enabled) {
    auto context = tls::make_server_context(l.tls, "listener " + l.name);
    if (!context) {
      return fail<MllpListenerOptions>(context.error());
    }
    options.tls = std::move(*context);
    options.handshake_timeout = l.tls.handshake_timeout;
  }
  return options;
}

Result<MllpListenerLimits, std::string> listener_limits(const config::ListenerConfig& l) {
  auto allowed = hisbridge::net::AllowList::parse(l.allow_from);
  if (!allowed) {
    return fail<MllpListenerLimits>("listener " + l.name + ": allow_from: " + allowed.error());
  }
  return MllpListenerLimits{std::move(*allowed), l.max_connections_per_ip, l.message_timeout,
                            l.max_frames_per_second};
}

Result<MllpDestinationOptions, std::string> destination_options(
    const config::DestinationConfig& d) {
  MllpDestinationOptions options;
  options.host = d.host;
  options.port = d.port;
  options.timeout = d.timeout;
  if (d.tls.enabled) {
    // The caller names the channel and the destination; this names the connection.
    const std::string who = "mllp " + d.host + ":" + std::to_string(d.port);
    auto context = tls::make_client_context(d.tls, d.verify_tls, who);
    if (!context) {
      return fail<MllpDestinationOptions>(context.error());
    }
    options.tls = std::move(*context);
    options.server_name = d.tls.server_name;
  }
  return options;
}

}  // namespace hisbridge::mllp
