#include "adapters/mllp/mllp_destination.hpp"

#include <optional>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

#include "adapters/mllp/error.hpp"
#include "adapters/mllp/received_ack.hpp"

namespace hisbridge::mllp {
namespace {

using router::Delivery;

std::string with_text(std::string reason, const std::string& text) {
  return text.empty() ? reason : reason + ": " + text;
}

}  // namespace

MllpDestination::MllpDestination(std::string name, const MllpDestinationOptions& options)
    : name_(std::move(name)),
      peer_(options.host + ":" + std::to_string(options.port)),
      timeout_(options.timeout),
      client_(options.host, options.port,
              ClientOptions{options.timeout, options.max_frame_bytes, options.tls,
                            options.server_name}) {}

Delivery MllpDestination::deliver(const router::DeliveryItem& item) {
  const std::int64_t id = item.stored.id;
  const std::string& control_id = item.stored.message.control_id;
  if (!client_.connected()) {
    spdlog::debug("mllp destination {}: connecting to {} for message {}", name_, peer_, id);
  }
  // v2.5.1 §2.9.2: the ACK echoes the message's MSH-10 in MSA-2. What is not an ACK at all
  // ends the wait too: the peer is not speaking HL7, and waiting longer will not change that.
  std::optional<Result<ReceivedAck>> answer;
  std::size_t dropped = 0;
  const MllpClient::AnswerFilter is_answer = [&](std::string_view frame) {
    auto ack = read_ack(frame);
    if (ack && ack->control_id != control_id) {
      ++dropped;
      spdlog::debug("mllp destination {}: message {}: dropped a late ACK for control id {:.64}",
                    name_, id, ack->control_id);
      return false;
    }
    answer = std::move(ack);
    return true;
  };
  auto sent = client_.send(item.stored.message.raw, is_answer);
  if (!sent) {
    return failed_send(sent.error(), id);
  }
  if (!answer || !answer->has_value()) {
    client_.close();  // a peer that answers with garbage: start the next attempt afresh
    return Delivery::retry("the answer of " + peer_ + " is not an HL7 ACK");
  }
  const ReceivedAck& ack = answer->value();
  spdlog::debug("mllp destination {}: message {} (control id {}) answered {} by {}", name_, id,
                control_id, ack.code, peer_);
  switch (ack.verdict) {
    case ReceivedAck::Verdict::accepted: return Delivery::delivered();
    case ReceivedAck::Verdict::error:
      return Delivery::retry(with_text(peer_ + " answered " + ack.code, ack.text));
    case ReceivedAck::Verdict::rejected: break;
  }
  return Delivery::failed(with_text(peer_ + " rejected the message with " + ack.code, ack.text));
}

// The client has closed the connection already: the next deliver connects again.
Delivery MllpDestination::failed_send(const boost::system::error_code& error, std::int64_t id) {
  if (error == make_error_code(Error::forbidden_byte)) {
    return Delivery::failed("the message holds an MLLP block byte (0x0B or 0x1C): MLLP cannot "
                            "frame it");
  }
  spdlog::debug("mllp destination {}: message {}: {} ({})", name_, id, error.message(), peer_);
  std::string reason = peer_ + ": " + error.message();
  if (error == make_error_code(Error::tls_failed)) {
    reason = peer_ + ": TLS: " + client_.tls_error();
  }
  if (error == make_error_code(Error::timeout)) {
    reason += " (" + std::to_string(timeout_.count()) + " ms)";
  }
  return Delivery::retry(std::move(reason));
}

}  // namespace hisbridge::mllp
