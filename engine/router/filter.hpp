#pragma once

#include "engine/config/config.hpp"
#include "engine/hl7/message.hpp"

namespace hisbridge::router {

// Whether a channel's filter takes `message`: every list that is set must hold the message's
// value (message types match "ORU^R01" exactly or "ORU" for every trigger), and every path
// condition must equal the decoded value at its path. Pure: no I/O, no clock.
bool filter_matches(const config::FilterConfig& filter, const hl7::Message& message);

}  // namespace hisbridge::router
