#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/config/config.hpp"
#include "engine/mapping/mapping.hpp"
#include "engine/router/destination.hpp"

namespace hisbridge::router {

// The current version of a channel's mapping: a hot-reloaded one (MappingWatcher) may change
// between two messages, never during one. Returns null when the mapping could not be loaded.
using MappingSource = std::function<std::shared_ptr<const mapping::Mapping>()>;

// A channel as the router runs it (Mirth's vocabulary): one source (a listener), a filter, a
// transformer (the mapping; none means messages are only journalled and acknowledged) and its
// destinations, in the order they are written.
struct Channel {
  config::ChannelConfig config;
  MappingSource mapping;  // empty when the channel has no mapping
  std::vector<std::shared_ptr<Destination>> destinations;
};

}  // namespace hisbridge::router
