#pragma once

#include <functional>
#include <optional>
#include <string>

#include "engine/router/channel.hpp"
#include "engine/router/destination.hpp"

namespace hisbridge::router {

// The output a destination writes: what its own mapping (a destination transformer) makes of
// the message when it has one, else the channel's. Sets `failure` (and returns nullopt) when the
// own mapping cannot map the message or is not loaded.
std::optional<mapping::MappingOutput> destination_output(const DeliveryItem& item,
                                                         const MappingSource& own,
                                                         std::string& failure);

// What every mapping-fed destination does first: takes destination_output(), fails the message
// when it cannot be had, delivers nothing when it holds no records, and otherwise returns what
// `write` makes of the output.
Delivery deliver_output(const DeliveryItem& item, const MappingSource& own,
                        const std::function<Delivery(const mapping::MappingOutput&)>& write);

}  // namespace hisbridge::router
