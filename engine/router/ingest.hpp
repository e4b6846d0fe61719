#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "engine/core/log_throttle.hpp"
#include "engine/metrics/histogram.hpp"
#include "engine/router/source.hpp"
#include "engine/store/group_committer.hpp"

namespace hisbridge::router {

struct IngestCounters {
  std::atomic<std::uint64_t> received{0};        // every message handed in
  std::atomic<std::uint64_t> accepted{0};        // stored and answered AA/CA (duplicates too)
  std::atomic<std::uint64_t> rejected{0};        // unreadable: stored as rejected, answered AR/CR
  std::atomic<std::uint64_t> duplicates{0};      // accepted, but seen before within the window
  // accepted as new: their key was seen within the window, with other bytes (a sender that
  // reuses its control ids)
  std::atomic<std::uint64_t> reused_control_ids{0};
  std::atomic<std::uint64_t> store_failures{0};  // could not be stored: answered AR/CR, 207
};

// One source's share of IngestCounters, and how long its senders waited for their answers:
// from Envelope::received_at_us to the moment the reply is handed to the adapter (which then
// writes it), in seconds. Every answer counts, negative ones included.
struct SourceIngestStats {
  IngestCounters counters;
  metrics::Histogram ack_latency{metrics::latency_buckets()};
  // Back-pressure (Ingest::set_paused): whether the source is paused now, and how many times
  // it has been paused.
  std::atomic<bool> paused{false};
  std::atomic<std::uint64_t> pauses{0};
};

// The step between the inbound adapters and the journal: reads the header, stores the message
// through the group committer, and only when its commit has returned builds the answer.
// Unreadable bytes are stored too (status rejected), so nothing a sender sent is dropped.
class Ingest final : public SourceCallbacks {
 public:
  // Per source: the character set to read its messages in when MSH-18 cannot be trusted.
  using CharsetOverrides = std::map<std::string, std::string, std::less<>>;
  // Called on the writer thread after each stored message that processing should pick up.
  using StoredHook = std::function<void(const std::string& source, std::int64_t id)>;

  Ingest(store::GroupCommitter& committer, CharsetOverrides charsets, StoredHook on_stored = {});

  // Messages of `source` that are well-formed XML but not HL7 v2.xml are stored as `received`
  // (message type: the root element's name) rather than rejected: a channel of that source
  // maps them with an `xml` mapping. Call before the listeners start.
  void accept_vendor_xml(const std::string& source) { vendor_xml_sources_.insert(source); }
  // Counts the messages of `source` apart too (source_stats()). Call before the listeners
  // start; messages of other sources are counted in counters() only.
  void add_source(const std::string& source);
  // Null for a source not added. Thread-safe to read.
  const SourceIngestStats* source_stats(std::string_view source) const;

  void on_message(Envelope message, ReplyHandler reply) override;

  // Back-pressure on `source` (engine/delivery/back_pressure.hpp decides): its adapter asks
  // paused() and holds new messages while it is true. A change is logged once (warn when
  // pausing, info when resuming, with `reason`) and each pause is counted; setting the state it
  // already has does nothing. A source not added is never paused. Thread-safe.
  void set_paused(const std::string& source, bool paused, std::string_view reason = {});
  bool paused(std::string_view source) const override;

  const IngestCounters& counters() const { return counters_; }

 private:
  void warn_reused_key(const std::string& source, const std::string& stored_as,
                       std::int64_t first);

  store::GroupCommitter& committer_;
  CharsetOverrides charsets_;
  std::set<std::string, std::less<>> vendor_xml_sources_;
  StoredHook on_stored_;
  IngestCounters counters_;
  std::map<std::string, std::unique_ptr<SourceIngestStats>, std::less<>> per_source_;
  LogThrottle<std::string> reused_key_log_;  // per source, one line a minute
};

// The current time as an HL7 DTM in UTC, `YYYYMMDDHHMMSS+0000`, for ACK MSH-7.
std::string hl7_now_utc();

}  // namespace hisbridge::router
