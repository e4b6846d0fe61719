#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hisbridge::store {

// Where a queue entry is in its life. `pending` entries are delivered (and retried); the
// other two are final until an operator replays a `dead` one.
enum class DeliveryState { pending, delivered, dead };

std::string_view to_string(DeliveryState state);
std::optional<DeliveryState> delivery_state_from_string(std::string_view text);

// The name of a destination's queue: "<channel>/<destination>". Both names are lower-case
// letters, digits, '-' and '_' (config), so the '/' cannot be part of either.
std::string queue_name(std::string_view channel, std::string_view destination);

// One delivery a processed message owes, written in the transaction that marks the message
// processed (StatusUpdate::deliveries), so that a processed message always has its entries.
struct NewDelivery {
  std::string queue;
  // Entries of one queue with the same non-empty key are delivered in id order: a later one
  // waits while an earlier one is pending (the order of results of one order or patient).
  // Empty: no order to keep.
  std::string order_key;
};

// A queue entry as stored.
struct QueuedDelivery {
  std::int64_t id = 0;
  std::int64_t message_id = 0;
  std::string queue;
  std::string order_key;
  DeliveryState state = DeliveryState::pending;
  std::int64_t attempts = 0;         // deliveries tried and failed so far
  std::int64_t next_attempt_us = 0;  // not before this time (microseconds since the epoch)
  std::string last_error;
  std::int64_t created_at_us = 0;
  std::int64_t updated_at_us = 0;
};

// What a delivery attempt left: the entry's next state.
struct DeliveryUpdate {
  std::int64_t id = 0;
  DeliveryState state = DeliveryState::delivered;
  std::int64_t attempts = 0;
  std::int64_t next_attempt_us = 0;
  std::string last_error;
};

// The entries of one queue by state, for metrics, the channels API and back-pressure.
struct QueueDepth {
  std::string queue;
  std::int64_t pending = 0;
  std::int64_t dead = 0;
  std::int64_t oldest_pending_us = 0;  // created_at_us of the oldest pending entry; 0: none
};

}  // namespace hisbridge::store
