#pragma once

#include "engine/config/config.hpp"
#include "engine/hl7/message.hpp"

namespace hisbridge::router {

// Whether a channel's filter takes `message`: every list that is set must hold the message's
// value (message types match "ORU^R01" exactly or "ORU" for every trigger), and every path
// condition must equal the decoded value at its path. Pure: no I/O, no clock.
bool filter_matches(const config::FilterConfig& filter, const hl7::Message& message);

// The same for a vendor XML message (not HL7), known by its root element's name: only the
// message type list can take it.
bool xml_filter_matches(const config::FilterConfig& filter, const std::string& root_name);

}  // namespace hisbridge::router
