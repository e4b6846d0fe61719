#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "engine/hl7/error.hpp"
#include "engine/hl7/message.hpp"

namespace hisbridge::hl7 {

// What the receiver says of a message (v2.5.1 §2.9): accepted, accepted with errors, rejected.
enum class AckCode { accept, error, reject };

// v2.5.1 §2.9.2/§2.9.3: original mode (AA/AE/AR) unless the sender asked for enhanced mode by
// valuing MSH-15 or MSH-16, in which case the accept acknowledgment is CA/CE/CR.
enum class AckMode { original, enhanced };

AckMode ack_mode(const MessageHeader& header);
// "AA", "AE", "AR", "CA", "CE" or "CR".
std::string_view ack_code_text(AckCode code, AckMode mode);

// Whether the sender wants an accept acknowledgment for this outcome (MSH-15, table 0155:
// AL always, NE never, ER only on error or reject, SU only on success). Original mode always
// wants one.
bool wants_accept_ack(const MessageHeader& header, AckCode code);

// One ERR segment, v2.5 layout: ERR-2 location, ERR-3 HL7 error code (table 0357),
// ERR-4 severity (table 0516), ERR-7 diagnostic information.
struct AckIssue {
  int hl7_code = 207;
  char severity = 'E';               // E error, W warning, I information
  std::string segment_id;            // ERR-2.1
  std::size_t segment_sequence = 0;  // ERR-2.2 (1-based; 0 = not known)
  std::size_t field = 0;             // ERR-2.3
  std::string diagnostic;            // ERR-7, free text
};

// The ERR for a message hisbridge could not read.
AckIssue issue_from(const ParseError& error);

struct AckOptions {
  std::string control_id;  // MSH-10 of the ACK itself; unique per ACK
  std::string timestamp;   // MSH-7 of the ACK, HL7 DTM (e.g. 20260305081500+0700)
};

// An ACK for a received message: sending and receiving application and facility swapped,
// MSH-9 `ACK^<trigger>^ACK`, processing id and version echoed, MSA-2 = the message's MSH-10,
// one ERR per issue. Written with the received message's delimiters, ending in CR.
std::string build_ack(const Message& received, AckCode code, std::span<const AckIssue> issues,
                      const AckOptions& options);

// A reject (AR, or CR when the sniffable MSH asks for enhanced mode) for bytes that did not
// parse: whatever MSH fields can be read from the first line are echoed, so the sender can
// still match MSA-2 to what it sent. Never fails.
std::string build_reject(std::string_view bytes, const ParseError& error, const AckOptions& options);

}  // namespace hisbridge::hl7
