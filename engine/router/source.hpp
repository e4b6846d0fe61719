#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace hisbridge::router {

// One message as an inbound adapter received it, before anything is decided about it.
struct Envelope {
  std::string raw;              // the bytes exactly as received (MLLP framing removed)
  std::string source;           // the listener's name
  std::string peer;             // "10.1.2.3:51234", or the file name for a drop folder
  std::int64_t received_at_us;  // microseconds since the Unix epoch, UTC
};

// What the sender is told.
struct Reply {
  std::string ack;        // the ACK message (ER7, unframed)
  bool accepted = false;  // AA/CA: the message is durably stored
  std::int64_t message_id = 0;  // its id in the store; 0 when it could not be stored
};

using ReplyHandler = std::function<void(Reply)>;

// What a Source (an inbound adapter) calls for every received message. Implemented by Ingest.
class SourceCallbacks {
 public:
  virtual ~SourceCallbacks() = default;
  // Takes ownership of `message`. `reply` runs exactly once, after the message is durably
  // stored (or stored as rejected, or storing failed): on the store's writer thread, or, once
  // the store has stopped, inside on_message itself with a failure. Either way the adapter
  // hands it to its own executor rather than writing from the calling thread.
  virtual void on_message(Envelope message, ReplyHandler reply) = 0;
  // Back-pressure: while true, the adapter of `source` takes no new message (an MLLP session
  // reads no further frame, HTTP answers 503, a drop folder leaves its files) and asks again
  // shortly; what it already handed over is answered as usual. Thread-safe and cheap: adapters
  // ask per read.
  virtual bool paused(std::string_view /*source*/) const { return false; }
};

}  // namespace hisbridge::router
