#include "engine/store/delivery_queue.hpp"

namespace hisbridge::store {

// These words are what the database holds in the state column: changing one is a schema change.
std::string_view to_string(DeliveryState state) {
  switch (state) {
    case DeliveryState::pending: return "pending";
    case DeliveryState::delivered: return "delivered";
    case DeliveryState::dead: return "dead";
  }
  return "dead";
}

std::optional<DeliveryState> delivery_state_from_string(std::string_view text) {
  for (const DeliveryState s :
       {DeliveryState::pending, DeliveryState::delivered, DeliveryState::dead}) {
    if (text == to_string(s)) {
      return s;
    }
  }
  return std::nullopt;
}

std::string queue_name(std::string_view channel, std::string_view destination) {
  std::string out;
  out.reserve(channel.size() + 1 + destination.size());
  out.append(channel).append("/").append(destination);
  return out;
}

}  // namespace hisbridge::store
