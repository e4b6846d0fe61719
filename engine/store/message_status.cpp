#include "engine/store/store.hpp"

namespace hisbridge::store {

// These words are what the database holds in the status column: changing one is a schema change.
std::string_view to_string(MessageStatus status) {
  switch (status) {
    case MessageStatus::received: return "received";
    case MessageStatus::processed: return "processed";
    case MessageStatus::error: return "error";
    case MessageStatus::rejected: return "rejected";
    case MessageStatus::duplicate: return "duplicate";
  }
  return "error";
}

std::optional<MessageStatus> status_from_string(std::string_view text) {
  for (const MessageStatus s : {MessageStatus::received, MessageStatus::processed,
                                MessageStatus::error, MessageStatus::rejected,
                                MessageStatus::duplicate}) {
    if (text == to_string(s)) {
      return s;
    }
  }
  return std::nullopt;
}

}  // namespace hisbridge::store
