#include "adapters/admin/messages_api.hpp"

#include <charconv>
#include <cstdint>
#include <optional>

#include "adapters/admin/iso_time.hpp"
#include "engine/hl7/utf8.hpp"

namespace hisbridge::admin {
namespace {

std::optional<std::int64_t> whole_number(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    const std::size_t left = bytes.size() - i;
    if (left > 1) {
      n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    }
    if (left > 2) {
      n |= static_cast<unsigned char>(bytes[i + 2]);
    }
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += left > 1 ? kAlphabet[(n >> 6) & 63] : '=';
    out += left > 2 ? kAlphabet[n & 63] : '=';
  }
  return out;
}

// One parameter into `q`; the error text when it does not read.
std::optional<std::string> apply(const std::string& name, const std::string& value,
                                 const mapping::TimeZone& zone, store::MessageQuery& q) {
  if (name == "from" || name == "to") {
    const auto at = parse_iso(value, zone);
    if (!at) {
      return "parameter '" + name + "': '" + value +
             "' is not an ISO 8601 date or time (2026-03-05, 2026-03-05T08:15:00+07:00)";
    }
    (name == "from" ? q.from_us : q.to_us) = *at;
  } else if (name == "type") {
    q.message_type = value;
  } else if (name == "control_id") {
    q.control_id = value;
  } else if (name == "patient_id") {
    q.patient_id = value;
  } else if (name == "source") {
    q.source = value;
  } else if (name == "status") {
    q.status = store::status_from_string(value);
    if (!q.status) {
      return "parameter 'status': '" + value +
             "' is not one of received, processed, error, rejected, duplicate";
    }
  } else if (name == "limit") {
    const auto n = whole_number(value);
    if (!n || *n < 1 || *n > static_cast<std::int64_t>(kMaxMessageLimit)) {
      return "parameter 'limit': '" + value + "' is not a number from 1 to " +
             std::to_string(kMaxMessageLimit);
    }
    q.limit = static_cast<std::size_t>(*n);
  } else if (name == "before_id") {
    const auto n = whole_number(value);
    if (!n || *n < 1) {
      return "parameter 'before_id': '" + value + "' is not a message id";
    }
    q.before_id = *n;
  } else {
    return "unknown parameter '" + name +
           "' (known: from, to, type, control_id, patient_id, status, source, limit, "
           "before_id)";
  }
  return std::nullopt;
}

}  // namespace

Result<store::MessageQuery, std::string> parse_message_query(const QueryParams& params,
                                                             const mapping::TimeZone& zone) {
  store::MessageQuery q;
  q.limit = kDefaultMessageLimit;
  for (const auto& [name, value] : params) {
    if (auto error = apply(name, value, zone, q)) {
      return *error;
    }
  }
  if (q.from_us && q.to_us && *q.from_us >= *q.to_us) {
    return std::string("parameter 'to': must be later than 'from'");
  }
  return q;
}

nlohmann::ordered_json message_summary(const store::StoredMessage& m,
                                       const mapping::TimeZone& zone) {
  nlohmann::ordered_json j;
  j["id"] = m.id;
  j["received_at"] = format_iso(m.message.received_at_us, zone);
  j["updated_at"] = format_iso(m.updated_at_us, zone);
  j["source"] = m.message.source;
  j["peer"] = m.message.peer;
  j["control_id"] = m.message.control_id;
  j["sending_application"] = m.message.sending_application;
  j["sending_facility"] = m.message.sending_facility;
  j["type"] = m.message.message_type;
  j["patient_id"] = m.message.patient_id;
  j["status"] = std::string(store::to_string(m.message.status));
  j["error"] = m.message.error;
  j["duplicate_of"] =
      m.duplicate_of == 0 ? nlohmann::ordered_json() : nlohmann::ordered_json(m.duplicate_of);
  return j;
}

nlohmann::ordered_json message_list(const std::vector<store::StoredMessage>& found,
                                    std::size_t limit, const mapping::TimeZone& zone) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const store::StoredMessage& m : found) {
    list.push_back(message_summary(m, zone));
  }
  nlohmann::ordered_json j;
  j["messages"] = std::move(list);
  j["count"] = found.size();
  j["next_before_id"] = !found.empty() && found.size() >= limit
                            ? nlohmann::ordered_json(found.back().id)
                            : nlohmann::ordered_json();
  return j;
}

nlohmann::ordered_json message_detail(const store::StoredMessage& m,
                                      const mapping::TimeZone& zone) {
  nlohmann::ordered_json j = message_summary(m, zone);
  j["raw"] = m.message.raw;  // written with U+FFFD for bytes that are not UTF-8
  if (!hl7::is_valid_utf8(m.message.raw)) {
    j["raw_base64"] = base64(m.message.raw);
  }
  return j;
}

nlohmann::ordered_json queue_entries(const std::vector<store::QueuedDelivery>& entries,
                                     const mapping::TimeZone& zone) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const store::QueuedDelivery& e : entries) {
    nlohmann::ordered_json j;
    j["id"] = e.id;
    j["queue"] = e.queue;
    j["state"] = std::string(store::to_string(e.state));
    j["attempts"] = e.attempts;
    j["next_attempt_at"] = e.next_attempt_us == 0
                               ? nlohmann::ordered_json()
                               : nlohmann::ordered_json(format_iso(e.next_attempt_us, zone));
    j["last_error"] = e.last_error;
    j["created_at"] = format_iso(e.created_at_us, zone);
    j["updated_at"] = format_iso(e.updated_at_us, zone);
    list.push_back(std::move(j));
  }
  return list;
}

}  // namespace hisbridge::admin
