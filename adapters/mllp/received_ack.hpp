#pragma once

#include <string>
#include <string_view>

#include "engine/core/result.hpp"

namespace hisbridge::mllp {

// What a peer's acknowledgment says of a message hisbridge forwarded to it.
struct ReceivedAck {
  // v2.5.1 §2.9.2/§2.9.3, table 0008: AA/CA accepted, AE/CE error (send it again later),
  // AR/CR rejected (sending it again will not help).
  enum class Verdict { accepted, error, rejected };

  Verdict verdict = Verdict::accepted;
  std::string code;        // MSA-1 as sent: AA, AE, AR, CA, CE or CR
  std::string control_id;  // MSA-2: the MSH-10 of the message it answers
  // What the peer says of an error: MSA-3 and, for each ERR, ERR-3 (code and text), ERR-7
  // (diagnostic), ERR-8 (user message) and v2.3's ERR-1.4; distinct parts joined by "; ",
  // control characters made spaces, bytes that are not UTF-8 made U+FFFD, at most
  // kMaxTextBytes. Peer text: it may name a patient, so it goes into the delivery's reason
  // (the dead letter an operator reads) and never into a log line of hisbridge's own.
  std::string text;

  static constexpr std::size_t kMaxTextBytes = 300;
};

// Reads an acknowledgment (one frame, framing removed). Error::not_an_ack when the bytes do
// not parse as HL7, hold no MSA, or MSA-1 is not one of the six codes. Pure.
Result<ReceivedAck> read_ack(std::string_view frame);

}  // namespace hisbridge::mllp
