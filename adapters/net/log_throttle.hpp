#pragma once

#include "adapters/net/address_range.hpp"
#include "engine/core/log_throttle.hpp"

namespace hisbridge::net {

// One line per address and interval, for refusals and slow senders (see hisbridge::LogThrottle).
using LogThrottle = hisbridge::LogThrottle<IpAddress, IpAddressHash>;

}  // namespace hisbridge::net
