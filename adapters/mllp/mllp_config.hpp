#pragma once

#include <string>

#include "adapters/mllp/mllp_destination.hpp"
#include "adapters/mllp/mllp_listener.hpp"
#include "engine/config/config.hpp"
#include "engine/core/result.hpp"

namespace hisbridge::mllp {

// The options an `mllp` listener's config asks for: address, limits, allow-list and TLS (the
// server context is made here, so its files are read now). Fails with one sentence that names
// the listener: a bad allow_from entry, a TLS file that is missing or wrong.
Result<MllpListenerOptions, std::string> listener_options(const config::ListenerConfig& listener);

// The limits of an `mllp` listener's config that a running listener takes anew (a reload).
Result<MllpListenerLimits, std::string> listener_limits(const config::ListenerConfig& listener);

// The options an `mllp` destination's config asks for, with its TLS client context (verifying
// the server's certificate when verify_tls is on, against tls.ca or the system's CAs, and its
// name: tls.server_name, else host). Fails with one sentence that names the connection
// ("mllp ris.local:2575: TLS certificate 'c.pem': cannot read: ..."); the caller names the
// channel and the destination.
Result<MllpDestinationOptions, std::string> destination_options(
    const config::DestinationConfig& destination);

}  // namespace hisbridge::mllp
