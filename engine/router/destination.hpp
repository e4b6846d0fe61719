#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/hl7/message.hpp"
#include "engine/mapping/record.hpp"
#include "engine/store/store.hpp"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace hisbridge::router {

// What a destination made of one message.
struct Delivery {
  enum class Outcome {
    delivered,  // written; the queue entry is done
    retry,      // not written for a reason that passes (database locked, server down): the
                // entry is tried again after a back-off, until the destination's cap
    failed,     // will never be written as it is (a record the HIS refuses): the entry is a
                // dead letter with the reason, for an operator to replay
  };
  Outcome outcome = Outcome::delivered;
  std::string reason;

  static Delivery delivered() { return {}; }
  static Delivery retry(std::string why) { return {Outcome::retry, std::move(why)}; }
  static Delivery failed(std::string why) { return {Outcome::failed, std::move(why)}; }
};

// One message as a destination sees it: the stored journal row, the message as read (null
// for a vendor XML message, which is not HL7) and what the channel's mapping made of it
// (empty when the channel has no mapping).
struct DeliveryItem {
  const store::StoredMessage& stored;
  const hl7::Message* message;
  const mapping::MappingOutput& output;
};

// Where a channel sends its messages: the HIS database, a FHIR server, a folder, another MLLP
// system. Implemented by the adapters; the destination's delivery worker (engine/delivery)
// calls deliver() from its own thread, one message at a time, in queue order, and calls it
// again with the same message after a `retry`, and after a crash or a replay (so a write must
// be idempotent: upserts by record key, idempotency keys). Must not throw.
class Destination {
 public:
  virtual ~Destination() = default;
  virtual const std::string& name() const = 0;
  virtual Delivery deliver(const DeliveryItem& item) = 0;
  // A destination whose connections use TLS (an MLLP destination with `tls`): the context of
  // the connections it makes from now on, and its replacement when a config reload read the
  // certificate files again (thread-safe; a connection open goes on with its own). Null and
  // false for the others.
  virtual std::shared_ptr<boost::asio::ssl::context> tls_context() const { return nullptr; }
  virtual bool replace_tls_context(std::shared_ptr<boost::asio::ssl::context>) { return false; }
};

}  // namespace hisbridge::router
