#include "engine/replay/selection.hpp"

#include <utility>

#include "engine/store/delivery_queue.hpp"

namespace hisbridge::replay {
namespace {

std::string listed(const std::string& names) { return names.empty() ? "none" : names; }

}  // namespace

Result<std::string, std::string> channel_source(const config::Config& config,
                                                std::string_view channel) {
  std::string known;
  for (const config::ChannelConfig& c : config.channels) {
    if (c.name == channel) {
      return {boost::system::in_place_value, c.source};
    }
    known += (known.empty() ? "" : ", ") + c.name;
  }
  return {boost::system::in_place_error, "no channel '" + std::string(channel) +
                                             "' in the config (channels: " + listed(known) + ")"};
}

Result<std::string, std::string> destination_queue(const config::Config& config,
                                                   std::string_view queue) {
  std::string known;
  for (const config::ChannelConfig& c : config.channels) {
    for (const config::DestinationConfig& d : c.destinations) {
      std::string name = store::queue_name(c.name, d.name);
      if (name == queue) {
        return {boost::system::in_place_value, std::move(name)};
      }
      known += (known.empty() ? "" : ", ") + name;
    }
  }
  if (queue.find('/') == std::string_view::npos) {
    return {boost::system::in_place_error,
            "'" + std::string(queue) +
                "' is not a destination queue: name it as CHANNEL/DESTINATION (queues: " +
                listed(known) + ")"};
  }
  return {boost::system::in_place_error, "no destination '" + std::string(queue) +
                                             "' in the config (queues: " + listed(known) + ")"};
}

}  // namespace hisbridge::replay
