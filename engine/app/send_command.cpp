#include "engine/app/send_command.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/mllp/mllp_client.hpp"
#include "engine/hl7/batch.hpp"
#include "engine/hl7/charset.hpp"
#include "engine/hl7/message.hpp"

namespace hisbridge::app {
namespace {

constexpr int kFailure = 1;
constexpr int kBadInput = 2;

// One message ready to go, with what names it in the output.
struct Outgoing {
  std::string name;        // "orders.hl7", or "orders.hl7 message 2" when the file holds more
  std::string wire;        // the bytes to send
  std::string control_id;  // MSH-10
};

enum class Verdict { positive, negative, failed };

bool check_usage(const SendOptions& options, std::ostream& err) {
  bool ok = true;
  if (options.port == 0) {
    err << "send: --port is required (1-65535)\n";
    ok = false;
  }
  if (options.host.empty()) {
    err << "send: --host must not be empty\n";
    ok = false;
  }
  if (options.files.empty()) {
    err << "send: no FILE given\n";
    ok = false;
  }
  if (options.timeout <= std::chrono::milliseconds::zero()) {
    err << "send: the timeout must be positive\n";
    ok = false;
  }
  if (!options.charset.empty()) {
    if (auto charset = hl7::Charset::resolve(options.charset); !charset) {
      const hl7::ParseError& e = charset.error();
      err << "send: --charset: " << (e.detail.empty() ? e.message() : e.detail) << "\n";
      ok = false;
    }
  }
  return ok;
}

// The 1-based line of `offset` in a message that starts at `first_line`: CR, LF and CRLF each
// end one line, as split_messages counts them.
std::size_t line_of(std::string_view message, std::size_t offset, std::size_t first_line) {
  if (message.starts_with("\xEF\xBB\xBF")) {
    offset += 3;  // ParseError offsets come after a skipped BOM
  }
  std::size_t line = first_line;
  for (std::size_t i = 0; i < offset && i < message.size(); ++i) {
    if (message[i] == '\n' || (message[i] == '\r' && message.substr(i + 1, 1) != "\n")) {
      ++line;
    }
  }
  return line;
}

// The message as HL7 puts it on the wire: each segment ending in CR, blank lines dropped.
// A message that does not parse as ASCII-compatible bytes (UTF-16) goes out as it is.
std::string wire_bytes(std::string_view message) {
  auto parsed = hl7::Message::parse(message);
  if (!parsed) {
    return std::string(message);
  }
  std::string wire;
  wire.reserve(message.size());
  for (std::size_t n = 1; n <= parsed->segment_count(); ++n) {
    wire += parsed->segment(n).raw();
    wire += '\r';
  }
  return wire;
}

std::optional<std::string> read_file(const std::string& path, std::ostream& err) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    err << path << ": is a directory\n";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err << path << ": cannot open\n";
    return std::nullopt;
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    err << path << ": cannot read\n";
    return std::nullopt;
  }
  return bytes;
}

// Splits and checks one file; appends its messages to `outgoing`. False when the file or one
// of its messages cannot be read; every problem is reported, not only the first.
bool load_file(const std::string& path, const SendOptions& options,
               std::vector<Outgoing>& outgoing, std::ostream& err) {
  const std::optional<std::string> bytes = read_file(path, err);
  if (!bytes) {
    return false;
  }
  const hl7::Batch batch = hl7::split_messages(*bytes);
  if (batch.messages.empty()) {
    err << path << ": no HL7 message found\n";
    return false;
  }
  for (const hl7::ParseError& problem : batch.problems) {
    err << path << ": warning: " << problem.message() << "\n";
  }
  if (!batch.skipped.empty()) {
    err << path << ": warning: " << batch.skipped.size()
        << " line(s) belong to no message and are not sent (the first at line "
        << batch.skipped.front().line << ")\n";
  }
  hl7::DecodeOptions decode_options;
  decode_options.charset_override = options.charset;
  bool ok = true;
  for (std::size_t i = 0; i < batch.messages.size(); ++i) {
    const std::string_view raw = batch.messages[i];
    std::string name = path;
    if (batch.messages.size() > 1) {
      name += " message " + std::to_string(i + 1);
    }
    auto message = hl7::decode(raw, decode_options);
    if (!message) {
      const hl7::ParseError& e = message.error();
      err << path << ":" << line_of(raw, e.offset, batch.message_lines[i]) << ": ";
      if (batch.messages.size() > 1) {
        err << "message " << i + 1 << ": ";
      }
      err << e.message() << "\n";
      ok = false;
      continue;
    }
    outgoing.push_back({std::move(name), wire_bytes(raw), message->header().control_id});
  }
  return ok;
}

// Prints the ACK one segment per line and judges it by MSA-1.
Verdict report_ack(const Outgoing& sent, const std::string& ack, std::chrono::milliseconds took,
                   const SendOptions& options, std::ostream& out, std::ostream& err) {
  hl7::DecodeOptions decode_options;
  decode_options.charset_override = options.charset;
  auto parsed = hl7::decode(ack, decode_options);
  if (!parsed) {
    out << ack << "\n";
    err << sent.name << ": the reply is not an HL7 message: " << parsed.error().message() << "\n";
    return Verdict::failed;
  }
  for (std::size_t n = 1; n <= parsed->segment_count(); ++n) {
    out << parsed->segment(n).raw() << "\n";
  }
  const std::string code = parsed->get("MSA-1").value();
  const std::string answered = parsed->get("MSA-2").value();
  const std::string text = parsed->get("MSA-3").value();
  out << sent.name << " (control id " << sent.control_id << "): " << (code.empty() ? "?" : code);
  if (!text.empty()) {
    out << " " << text;
  }
  out << " in " << took.count() << " ms\n";
  if (answered != sent.control_id) {
    // v2.5.1 §2.9.2: MSA-2 echoes the MSH-10 of the message acknowledged.
    err << sent.name << ": warning: the ACK answers control id '" << answered << "', not '"
        << sent.control_id << "'\n";
  }
  if (code == "AA" || code == "CA") {
    return Verdict::positive;
  }
  if (code == "AE" || code == "AR" || code == "CE" || code == "CR") {
    return Verdict::negative;
  }
  err << sent.name << ": the reply has no acknowledgment code in MSA-1\n";
  return Verdict::failed;
}

}  // namespace

int run_send(const SendOptions& options, std::ostream& out, std::ostream& err) {
  if (!check_usage(options, err)) {
    return kBadInput;
  }
  std::vector<Outgoing> outgoing;
  bool readable = true;
  for (const std::string& path : options.files) {
    readable = load_file(path, options, outgoing, err) && readable;
  }
  if (!readable) {
    err << "send: nothing sent\n";
    return kBadInput;
  }

  const std::string peer = options.host + ":" + std::to_string(options.port);
  mllp::ClientOptions client_options;
  client_options.timeout = options.timeout;
  mllp::MllpClient client(options.host, options.port, client_options);
  std::size_t positive = 0;
  std::size_t negative = 0;
  std::size_t failed = 0;
  for (const Outgoing& message : outgoing) {
    const auto started = std::chrono::steady_clock::now();
    auto ack = client.send(message.wire);
    if (!ack) {
      err << message.name << ": " << peer << ": " << ack.error().message() << "\n";
      ++failed;
      break;
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    switch (report_ack(message, *ack, took, options, out, err)) {
      case Verdict::positive: ++positive; break;
      case Verdict::negative: ++negative; break;
      case Verdict::failed: ++failed; break;
    }
  }
  const std::size_t not_sent = outgoing.size() - positive - negative - failed;
  out << peer << ": " << outgoing.size() << " message(s): " << positive << " accepted, "
      << negative << " negative ACK(s), " << failed << " failed, " << not_sent << " not sent\n";
  return (failed > 0 || negative > 0) ? kFailure : 0;
}

}  // namespace hisbridge::app
