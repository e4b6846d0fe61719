#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace hisbridge::app {

struct SendOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // required
  std::vector<std::string> files;
  // Bounds each message's exchange: connecting when needed, sending, and reading the ACK.
  std::chrono::milliseconds timeout{10000};
  // The character set of the files and of the ACKs, overriding MSH-18 (e.g. CP1258 for a
  // legacy link). Used to check the messages and to print the ACKs; the messages go out in
  // the file's own bytes, converted to nothing.
  std::string charset;
};

// `hisbridge send [--host H] --port P FILE...`: an MLLP client for interface analysts.
//
// Every FILE may hold one message, a batch, or many messages (hl7::split_messages). All files
// are read and every message is checked before anything is sent, so bad input sends nothing.
// Then the messages go out in order over one connection, each waiting for its ACK. Segments
// go out ending in CR, the HL7 segment terminator, whatever line ends the file used. Each ACK
// is printed on `out` one segment per line, followed by a summary line, and a last line counts
// the outcomes. A negative ACK does not stop the run; a network failure does, as the receiver
// may rely on the order of the messages.
//
// Exit status: 0 when every ACK is positive (MSA-1 AA or CA); 1 on a negative ACK (AE, AR, CE,
// CR), a reply that is not an ACK, or a network failure; 2 on bad usage or a file that cannot
// be read (the error names the file and, for a message that does not parse, its line and the
// segment, field and byte at fault).
int run_send(const SendOptions& options, std::ostream& out, std::ostream& err);

}  // namespace hisbridge::app
