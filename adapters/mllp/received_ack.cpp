#include "adapters/mllp/received_ack.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "adapters/mllp/error.hpp"
#include "engine/hl7/message.hpp"
#include "engine/hl7/utf8.hpp"

namespace hisbridge::mllp {
namespace {

std::optional<ReceivedAck::Verdict> verdict_of(std::string_view code) {
  if (code == "AA" || code == "CA") {
    return ReceivedAck::Verdict::accepted;
  }
  if (code == "AE" || code == "CE") {
    return ReceivedAck::Verdict::error;
  }
  if (code == "AR" || code == "CR") {
    return ReceivedAck::Verdict::rejected;
  }
  return std::nullopt;
}

// "<code> <text>" of a CWE/CE element (ERR-3, ERR-1.4), either part may be missing.
std::string coded(const hl7::Element& code, const hl7::Element& text) {
  std::string out = code.value();
  const std::string words = text.value();
  if (!out.empty() && !words.empty()) {
    out += ' ';
  }
  return out + words;
}

// What the peer wrote of the error, in the order an operator reads it: the summary first.
std::vector<std::string> text_parts(const hl7::Message& ack, const hl7::Segment& msa) {
  std::vector<std::string> parts{msa.field(3).value()};
  for (const hl7::Segment& err : ack.all("ERR")) {
    const hl7::Element location = err.field(1);  // v2.3: segment^sequence^field^code&text
    parts.push_back(err.field(8).value());
    parts.push_back(err.field(7).value());
    parts.push_back(coded(err.field(3).component(1), err.field(3).component(2)));
    parts.push_back(coded(location.component(4).subcomponent(1),
                          location.component(4).subcomponent(2)));
  }
  return parts;
}

std::string joined_distinct(const std::vector<std::string>& parts) {
  std::vector<std::string_view> seen;
  std::string out;
  for (const std::string& part : parts) {
    if (part.empty() || std::find(seen.begin(), seen.end(), part) != seen.end()) {
      continue;
    }
    seen.emplace_back(part);
    out += out.empty() ? "" : "; ";
    out += part;
  }
  return out;
}

// Text fit for a reason an operator reads and a database column keeps: well-formed UTF-8, no
// control characters, cut at a character boundary.
std::string printable(std::string_view text, std::size_t max_bytes) {
  std::string out;
  while (!text.empty()) {
    const std::size_t bad = hl7::find_invalid_utf8(text);
    out.append(text.substr(0, bad));
    if (bad == std::string_view::npos) {
      break;
    }
    out += "\xEF\xBF\xBD";  // U+FFFD
    text.remove_prefix(bad + 1);
  }
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    c = byte < 0x20 || byte == 0x7f ? ' ' : c;
  }
  if (out.size() > max_bytes) {
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80) {
      --cut;  // not inside a multi-byte character
    }
    out.resize(cut);
  }
  return out;
}

}  // namespace

Result<ReceivedAck> read_ack(std::string_view frame) {
  auto ack = hl7::Message::parse(frame);
  if (!ack) {
    return make_error_code(Error::not_an_ack);
  }
  const auto msa = ack->find("MSA");
  if (!msa) {
    return make_error_code(Error::not_an_ack);
  }
  ReceivedAck out;
  out.code = msa->field(1).value();
  const auto verdict = verdict_of(out.code);
  if (!verdict) {
    return make_error_code(Error::not_an_ack);
  }
  out.verdict = *verdict;
  out.control_id = msa->field(2).value();
  out.text = printable(joined_distinct(text_parts(*ack, *msa)), ReceivedAck::kMaxTextBytes);
  return out;
}

}  // namespace hisbridge::mllp
