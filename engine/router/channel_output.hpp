#pragma once

#include <string>

#include "engine/hl7/message.hpp"
#include "engine/mapping/record.hpp"
#include "engine/router/channel.hpp"
#include "engine/store/store.hpp"

namespace hisbridge::router {

// What a channel's mapping (the version current now) makes of a stored message, into `out`:
// for the router, which processes it, and for a destination's queue, which maps it again when
// it delivers, so that a queue holds no copy of the records and a replay after a mapping fix
// uses the fix. `message` is the message as read, null for vendor XML (which an xml mapping
// reads from the raw bytes). A channel without a mapping makes an empty output. `out` is the
// caller's, kept for the channel from message to message so that its storage is reused
// (Mapping::apply_into).
// False with `failure` empty: the mapping is not loaded (a reload may bring it: come back
// later); false with `failure` set: why the mapping cannot map this message. Either way `out`
// then holds nothing to use.
bool channel_output(const Channel& channel, const store::StoredMessage& stored,
                    const hl7::Message* message, mapping::MappingOutput& out,
                    std::string& failure);

// The key a destination's queue keeps the order of a message's deliveries by: its patient
// ("patient:" + PID-3), else its first record's order number ("order:" + order_no), else none
// (empty). Results for one patient (and so for one order) are delivered in receive order;
// other patients' messages never wait behind them.
std::string order_key(const store::StoredMessage& stored, const mapping::MappingOutput& output);

}  // namespace hisbridge::router
