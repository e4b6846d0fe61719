#include "engine/router/ingest.hpp"

#include <chrono>
#include <ctime>
#include <optional>

#include <spdlog/spdlog.h>

#include "engine/core/patient_data_log.hpp"
#include "engine/hl7/ack.hpp"
#include "engine/hl7/message.hpp"
#include "engine/hl7/read_message.hpp"
#include "engine/router/vendor_xml.hpp"

namespace hisbridge::router {
namespace {

constexpr std::size_t kMaxHeaderBytes = 4096;

// The MSH line as the sender wrote it: all an ACK needs, kept instead of the whole message
// while the commit is under way (the raw bytes themselves move into the store).
std::string first_line(std::string_view raw) {
  if (raw.starts_with("\xEF\xBB\xBF")) {
    raw.remove_prefix(3);
  }
  const std::size_t end = raw.find_first_of("\r\n");
  return std::string(raw.substr(0, std::min(end, kMaxHeaderBytes)));
}

std::string message_type(const hl7::MessageHeader& h) {
  return h.trigger_event.empty() ? h.message_code : h.message_code + "^" + h.trigger_event;
}

struct Pending {
  std::string header_line;
  std::optional<hl7::ParseError> parse_error;
  ReplyHandler reply;
  // The accept ACK of a readable message, written as it arrives on the adapter's thread; its
  // MSH-10 is "HB" and the store id goes in at `id_at` once the commit returns, so the
  // committer's thread only fills in a number.
  std::string accept_ack;
  std::size_t id_at = std::string::npos;
};

// Where MSH-10's value begins in an ER7 message: MSH-1 is the separator at offset 3, and each
// later field starts after the next separator. npos when MSH has fewer fields.
std::size_t msh10_at(std::string_view er7) {
  if (er7.size() < 4 || !er7.starts_with("MSH")) {
    return std::string_view::npos;
  }
  const char separator = er7[3];
  const std::size_t segment_end = std::min(er7.find_first_of("\r\n"), er7.size());
  std::size_t at = 4;
  for (int field = 3; field <= 10; ++field) {
    const std::size_t next = er7.find(separator, at);
    if (next >= segment_end) {
      return std::string_view::npos;
    }
    at = next + 1;
  }
  return at;
}

std::string answer(const Pending& p, hl7::AckCode code, std::span<const hl7::AckIssue> issues,
                   const std::string& control_id) {
  const hl7::AckOptions options{control_id, hl7_now_utc()};
  if (!p.parse_error) {
    if (auto msh = hl7::Message::parse(p.header_line)) {
      return hl7::build_ack(*msh, code, issues, options);
    }
  }
  hl7::ParseError error = p.parse_error.value_or(hl7::ParseError{});
  if (!issues.empty()) {
    error.detail = issues.front().diagnostic;
  }
  return hl7::build_reject(p.header_line, error, options);
}

// Adds one to `field` of the engine-wide counters and, when there is one, of the source's.
void count(IngestCounters& all, SourceIngestStats* source,
           std::atomic<std::uint64_t> IngestCounters::*field) {
  (all.*field).fetch_add(1, std::memory_order_relaxed);
  if (source != nullptr) {
    (source->counters.*field).fetch_add(1, std::memory_order_relaxed);
  }
}

// Seconds from `received_at_us` to now, on the same (wall) clock the adapters stamp with; 0
// when the clock stepped back in between.
double seconds_since(std::int64_t received_at_us) {
  const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return now_us > received_at_us ? static_cast<double>(now_us - received_at_us) / 1e6 : 0.0;
}

}  // namespace

std::string hl7_now_utc() {
  // Formatted once a second per thread: every ACK asks for it.
  thread_local std::time_t last = -1;
  thread_local char text[32];
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  if (now != last) {
    std::tm utc{};
    gmtime_r(&now, &utc);
    std::strftime(text, sizeof text, "%Y%m%d%H%M%S+0000", &utc);
    last = now;
  }
  return text;
}

Ingest::Ingest(store::GroupCommitter& committer, CharsetOverrides charsets, StoredHook on_stored)
    : committer_(committer), charsets_(std::move(charsets)), on_stored_(std::move(on_stored)) {}

void Ingest::add_source(const std::string& source) {
  per_source_.try_emplace(source, std::make_unique<SourceIngestStats>());
}

const SourceIngestStats* Ingest::source_stats(std::string_view source) const {
  const auto it = per_source_.find(source);
  return it == per_source_.end() ? nullptr : it->second.get();
}

void Ingest::set_paused(const std::string& source, bool paused, std::string_view reason) {
  const auto it = per_source_.find(source);
  if (it == per_source_.end()) {
    return;
  }
  SourceIngestStats& stats = *it->second;
  if (stats.paused.exchange(paused, std::memory_order_acq_rel) == paused) {
    return;
  }
  if (paused) {
    stats.pauses.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("{}: ingest paused: {}", source, reason.empty() ? "back-pressure" : reason);
  } else {
    spdlog::info("{}: ingest resumed: {}", source, reason.empty() ? "back-pressure over" : reason);
  }
}

bool Ingest::paused(std::string_view source) const {
  const auto it = per_source_.find(source);
  return it != per_source_.end() && it->second->paused.load(std::memory_order_acquire);
}

void Ingest::on_message(Envelope message, ReplyHandler reply) {
  SourceIngestStats* const stats = [&]() -> SourceIngestStats* {
    const auto it = per_source_.find(message.source);
    return it == per_source_.end() ? nullptr : it->second.get();
  }();
  count(counters_, stats, &IngestCounters::received);
  store::NewMessage record;
  record.received_at_us = message.received_at_us;
  record.source = message.source;
  record.peer = std::move(message.peer);

  std::string_view charset;
  if (auto it = charsets_.find(message.source); it != charsets_.end()) {
    charset = it->second;
  }
  Pending pending{first_line(message.raw), std::nullopt, std::move(reply), {},
                  std::string::npos};
  auto decoded = hl7::read_message(message.raw, charset);
  if (!decoded && hl7::looks_like_xml(message.raw) && vendor_xml_sources_.contains(record.source)) {
    if (const auto root = vendor_xml_root(message.raw)) {
      record.message_type = *root;
      pending.header_line = vendor_xml_header(*root);
      decoded = hl7::Message::parse_owned(pending.header_line);
    }
  }
  if (decoded && hl7::looks_like_xml(message.raw)) {
    // The ACK echoes MSH, which for v2.xml only exists in the ER7 the reader wrote.
    pending.header_line = first_line(decoded->raw());
  }
  if (decoded) {
    const hl7::MessageHeader h = decoded->header();
    record.control_id = h.control_id;
    record.sending_application = h.sending_application;
    record.sending_facility = h.sending_facility;
    record.message_type = message_type(h);
    record.patient_id = decoded->get("PID-3[1].1").value();
    pending.accept_ack = answer(pending, hl7::AckCode::accept, {}, "HB");
    pending.id_at = msh10_at(pending.accept_ack);
    const std::string_view ack = pending.accept_ack;
    if (pending.id_at != std::string::npos &&
        (ack.substr(pending.id_at, 2) != "HB" ||
         ack.substr(pending.id_at + 2, 1) != ack.substr(3, 1))) {
      pending.id_at = std::string::npos;  // written some other way: built again at the answer
    }
  } else {
    pending.parse_error = decoded.error();
    record.status = store::MessageStatus::rejected;
    record.error = decoded.error().message();
    // When only the character set failed, MSH still reads as bytes: keep its identifiers so
    // the rejected message can be found by control id like any other.
    if (auto bytes = hl7::Message::parse(message.raw)) {
      const hl7::MessageHeader h = bytes->header();
      record.control_id = h.control_id;
      record.sending_application = h.sending_application;
      record.sending_facility = h.sending_facility;
      record.message_type = message_type(h);
    }
  }
  record.raw = std::move(message.raw);
  const std::string source = record.source;
  const std::int64_t received_at_us = record.received_at_us;

  committer_.submit(std::move(record), [this, source, stats, received_at_us,
                                        pending = std::move(pending)](
                                           Result<store::Appended> stored) mutable {
    if (stats != nullptr) {
      stats->ack_latency.observe(seconds_since(received_at_us));
    }
    if (!stored) {
      count(counters_, stats, &IngestCounters::store_failures);
      hl7::AckIssue issue;
      issue.hl7_code = 207;
      issue.diagnostic = "message not stored (" + stored.error().message() + "); send it again";
      pending.reply({answer(pending, hl7::AckCode::reject, {&issue, 1}, "HBFAIL"), false, 0});
      return;
    }
    const std::string control_id = "HB" + std::to_string(stored->id);
    if (pending.parse_error) {
      count(counters_, stats, &IngestCounters::rejected);
      // The error's kind and position; its detail only while patient data may be shown in
      // the log, since it may quote message text.
      spdlog::info("{}: message {} rejected: {} (segment {}, byte {}){}", source, control_id,
                   hl7::error_category().message(static_cast<int>(pending.parse_error->code)),
                   pending.parse_error->segment, pending.parse_error->offset,
                   patient_text(": " + pending.parse_error->detail, ""));
      pending.reply({answer(pending, hl7::AckCode::reject, {}, control_id), false, stored->id});
      return;
    }
    count(counters_, stats, &IngestCounters::accepted);
    if (stored->duplicate) {
      count(counters_, stats, &IngestCounters::duplicates);
    } else if (on_stored_) {
      on_stored_(source, stored->id);
    }
    if (stored->reuses_key_of != 0) {
      count(counters_, stats, &IngestCounters::reused_control_ids);
      warn_reused_key(source, control_id, stored->reuses_key_of);
    }
    if (pending.id_at == std::string::npos) {
      pending.reply({answer(pending, hl7::AckCode::accept, {}, control_id), true, stored->id});
      return;
    }
    pending.accept_ack.insert(pending.id_at + 2, control_id, 2);
    pending.reply({std::move(pending.accept_ack), true, stored->id});
  });
}

// A sender whose counter restarted, or one that sends one control id for ever, would
// otherwise lose results as duplicates; it is told to the log once a minute per source.
void Ingest::warn_reused_key(const std::string& source, const std::string& stored_as,
                             std::int64_t first) {
  const auto quiet = reused_key_log_.allow(source, LogThrottle<std::string>::Clock::now());
  if (!quiet) {
    return;
  }
  spdlog::warn("{}: message {} repeats the control id, sending application and facility of "
               "message HB{} with other content: stored and processed as a new message (the "
               "sender reuses its control ids){}",
               source, stored_as, first,
               *quiet == 0 ? std::string()
                           : "; " + std::to_string(*quiet) + " more since the last such line");
}

}  // namespace hisbridge::router
