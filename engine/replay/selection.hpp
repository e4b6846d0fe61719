#pragma once

// What an operator may name in a replay, checked against the config before anything is
// written: a channel (for a time range) and a destination queue (for its dead letters).
#include <string>
#include <string_view>

#include "engine/config/config.hpp"
#include "engine/core/result.hpp"

namespace hisbridge::replay {

// The source of channel `channel`; otherwise the reason, naming the channels there are.
Result<std::string, std::string> channel_source(const config::Config& config,
                                                std::string_view channel);

// `queue` when it is "<channel>/<destination>" of a configured destination; otherwise the
// reason, naming the queues there are.
Result<std::string, std::string> destination_queue(const config::Config& config,
                                                   std::string_view queue);

}  // namespace hisbridge::replay
