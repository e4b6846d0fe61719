#include "engine/hl7/ack.hpp"

#include <vector>

#include "engine/hl7/escape.hpp"
#include "engine/hl7/message_builder.hpp"

namespace hisbridge::hl7 {
namespace {

// The MSH fields an ACK echoes, still escaped in the sender's own delimiters.
struct EchoedHeader {
  Delimiters delimiters;
  std::string sending_application;    // MSH-3
  std::string sending_facility;       // MSH-4
  std::string receiving_application;  // MSH-5
  std::string receiving_facility;     // MSH-6
  std::string trigger_event;          // MSH-9.2
  std::string control_id;             // MSH-10
  std::string processing_id;          // MSH-11
  std::string version;                // MSH-12
  std::string charset;                // MSH-18
  MessageHeader decoded;
};

EchoedHeader echo_of(const Message& m) {
  EchoedHeader h;
  h.delimiters = m.delimiters();
  h.decoded = m.header();
  if (auto msh = m.find("MSH")) {
    h.sending_application = msh->field(3).raw();
    h.sending_facility = msh->field(4).raw();
    h.receiving_application = msh->field(5).raw();
    h.receiving_facility = msh->field(6).raw();
    h.trigger_event = msh->field(9).component(2).raw();
    h.control_id = msh->field(10).raw();
    h.processing_id = msh->field(11).raw();
    h.version = msh->field(12).raw();
    h.charset = msh->field(18).raw();
  }
  return h;
}

// Reads MSH fields from the first line of bytes that did not parse as a whole. Values are
// re-escaped with the standard delimiters the reject is written in.
EchoedHeader sniff(std::string_view bytes) {
  EchoedHeader h;
  if (bytes.starts_with("\xEF\xBB\xBF")) {
    bytes.remove_prefix(3);
  }
  if (bytes.size() < 4 || !bytes.starts_with("MSH")) {
    return h;
  }
  const char fs = bytes[3];
  const std::size_t eol = bytes.find_first_of("\r\n");
  const std::string_view line = bytes.substr(0, eol);
  std::vector<std::string_view> parts;
  for (std::size_t begin = 0;;) {
    const std::size_t end = line.find(fs, begin);
    parts.push_back(line.substr(begin, end == std::string_view::npos ? end : end - begin));
    if (end == std::string_view::npos || parts.size() > 20) {
      break;
    }
    begin = end + 1;
  }
  // parts[n - 1] is MSH-n (parts[0] is "MSH", standing where MSH-1 is counted).
  auto field = [&](std::size_t n) {
    return n - 1 < parts.size() ? encode_escapes(parts[n - 1], h.delimiters) : std::string();
  };
  h.sending_application = field(3);
  h.sending_facility = field(4);
  h.receiving_application = field(5);
  h.receiving_facility = field(6);
  if (parts.size() > 8 && parts[1].size() >= 1) {
    // MSH-9.2 in the sender's component separator, the first character of MSH-2.
    const std::string_view type = parts[8];
    const std::size_t caret = type.find(parts[1][0]);
    if (caret != std::string_view::npos) {
      h.trigger_event = encode_escapes(type.substr(caret + 1, type.find(parts[1][0], caret + 1) -
                                                                  (caret + 1)),
                                       h.delimiters);
    }
  }
  h.control_id = field(10);
  h.processing_id = field(11);
  h.version = field(12);
  h.decoded.accept_ack_type = field(15);
  h.decoded.application_ack_type = field(16);
  return h;
}

void add_issue(MessageBuilder& b, std::size_t number, const AckIssue& issue) {
  const std::string err = "ERR[" + std::to_string(number) + "]-";
  auto set = [&](const std::string& where, std::string_view text) {
    if (!text.empty()) {
      (void)b.set(err + where, text);
    }
  };
  (void)b.add_segment("ERR");
  set("2.1", issue.segment_id);
  if (issue.segment_sequence != 0) {
    set("2.2", std::to_string(issue.segment_sequence));
  }
  if (issue.field != 0) {
    set("2.3", std::to_string(issue.field));
  }
  set("3.1", std::to_string(issue.hl7_code));
  set("3.2", hl7_error_text(issue.hl7_code));
  set("3.3", "HL70357");
  set("4", std::string(1, issue.severity));
  set("7", issue.diagnostic);
}

std::string write_ack(const EchoedHeader& h, AckCode code, std::span<const AckIssue> issues,
                      const AckOptions& options) {
  MessageBuilder b(h.delimiters);
  (void)b.add_segment("MSH");
  (void)b.set_raw(*Path::parse("MSH-3"), h.receiving_application);
  (void)b.set_raw(*Path::parse("MSH-4"), h.receiving_facility);
  (void)b.set_raw(*Path::parse("MSH-5"), h.sending_application);
  (void)b.set_raw(*Path::parse("MSH-6"), h.sending_facility);
  (void)b.set("MSH-7", options.timestamp);
  (void)b.set("MSH-9.1", "ACK");
  if (!h.trigger_event.empty()) {
    (void)b.set_raw(*Path::parse("MSH-9.2"), h.trigger_event);
    (void)b.set("MSH-9.3", "ACK");
  }
  (void)b.set("MSH-10", options.control_id);
  (void)b.set_raw(*Path::parse("MSH-11"), h.processing_id.empty() ? "P" : h.processing_id);
  (void)b.set_raw(*Path::parse("MSH-12"), h.version.empty() ? "2.5" : h.version);
  if (h.decoded.charset == "UNICODE UTF-8") {
    (void)b.set_raw(*Path::parse("MSH-18"), h.charset);
  }
  (void)b.add_segment("MSA");
  (void)b.set("MSA-1", ack_code_text(code, ack_mode(h.decoded)));
  (void)b.set_raw(*Path::parse("MSA-2"), h.control_id);
  if (code != AckCode::accept && !issues.empty()) {
    // MSA-3 is deprecated since v2.4 but is still what many LIS show their operators.
    (void)b.set("MSA-3", issues.front().diagnostic.substr(0, 80));
  }
  for (std::size_t i = 0; i < issues.size(); ++i) {
    add_issue(b, i + 1, issues[i]);
  }
  return b.to_er7();
}

}  // namespace

AckMode ack_mode(const MessageHeader& header) {
  return header.accept_ack_type.empty() && header.application_ack_type.empty()
             ? AckMode::original
             : AckMode::enhanced;
}

std::string_view ack_code_text(AckCode code, AckMode mode) {
  const bool enhanced = mode == AckMode::enhanced;
  switch (code) {
    case AckCode::accept: return enhanced ? "CA" : "AA";
    case AckCode::error: return enhanced ? "CE" : "AE";
    case AckCode::reject: return enhanced ? "CR" : "AR";
  }
  return "AR";
}

bool wants_accept_ack(const MessageHeader& header, AckCode code) {
  if (ack_mode(header) == AckMode::original) {
    return true;
  }
  const std::string& type = header.accept_ack_type;
  if (type == "NE") {
    return false;
  }
  if (type == "ER") {
    return code != AckCode::accept;
  }
  if (type == "SU") {
    return code == AckCode::accept;
  }
  return true;  // AL, or empty with MSH-16 valued
}

AckIssue issue_from(const ParseError& error) {
  AckIssue issue;
  issue.hl7_code = hl7_error_code(error.code);
  issue.segment_sequence = error.segment;
  if (error.segment == 1) {
    issue.segment_id = "MSH";  // the only segment whose id is known before it is read
  }
  issue.field = error.field;
  issue.diagnostic = error.message();
  return issue;
}

std::string build_ack(const Message& received, AckCode code, std::span<const AckIssue> issues,
                      const AckOptions& options) {
  return write_ack(echo_of(received), code, issues, options);
}

std::string build_reject(std::string_view bytes, const ParseError& error, const AckOptions& options) {
  const AckIssue issue = issue_from(error);
  return write_ack(sniff(bytes), AckCode::reject, std::span<const AckIssue>(&issue, 1), options);
}

}  // namespace hisbridge::hl7
