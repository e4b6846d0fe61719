#include "adapters/admin/channels_api.hpp"

#include "adapters/admin/iso_time.hpp"

namespace hisbridge::admin {
namespace {

using Json = nlohmann::ordered_json;

std::uint64_t load(const std::atomic<std::uint64_t>& a) {
  return a.load(std::memory_order_relaxed);
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    out += (out.empty() ? "" : ", ") + item;
  }
  return out;
}

std::string_view listener_type(config::ListenerType type) {
  switch (type) {
    case config::ListenerType::mllp:
      return "mllp";
    case config::ListenerType::http:
      return "http";
    case config::ListenerType::file:
      return "file";
  }
  return "unknown";
}

Json filter_json(const config::FilterConfig& f) {
  Json j;
  j["summary"] = filter_summary(f);
  j["message_types"] = f.message_types;
  j["sending_applications"] = f.sending_applications;
  j["sending_facilities"] = f.sending_facilities;
  j["conditions"] = Json::array();
  for (const config::PathCondition& c : f.conditions) {
    j["conditions"].push_back({{"path", c.path}, {"equals", c.equals}});
  }
  return j;
}

Json mapping_json(const std::string& file, const ChannelsSources& s,
                  const mapping::TimeZone& zone) {
  if (file.empty()) {
    return nullptr;
  }
  Json j;
  j["file"] = file;
  if (s.mappings != nullptr) {
    for (const mapping::MappingStatus& status : s.mappings->statuses()) {
      if (status.file != file) {
        continue;
      }
      j["name"] = status.name;
      j["loaded_at"] =
          status.loaded_at_us == 0 ? Json() : Json(format_iso(status.loaded_at_us, zone));
      j["reloads"] = status.reloads;
      j["reload_failures"] = status.failures;
      j["last_error"] = status.last_error;
    }
  }
  return j;
}

const router::ChannelCounters* counters_of(const ChannelsSources& s, const std::string& channel) {
  if (s.router == nullptr) {
    return nullptr;
  }
  for (const router::ChannelCounters& c : s.router->channel_counters()) {
    if (c.name() == channel) {
      return &c;
    }
  }
  return nullptr;
}

// The destination's durable queue now: entries waiting (and since when), dead letters, and
// whether deliveries are pausing after failures.
Json destination_queue_json(const router::DestinationCounters& c,
                            const config::DestinationConfig& d, const mapping::TimeZone& zone) {
  const std::int64_t oldest = c.oldest_pending_us.load(std::memory_order_relaxed);
  const std::int64_t pending = c.pending.load(std::memory_order_relaxed);
  return {{"pending", pending},
          {"dead", c.dead.load(std::memory_order_relaxed)},
          {"oldest_pending", oldest > 0 && pending > 0 ? Json(format_iso(oldest, zone)) : Json()},
          {"max_depth", d.max_queue_depth},
          {"backing_off", c.backing_off.load(std::memory_order_relaxed)}};
}

Json destinations_json(const config::ChannelConfig& channel, const router::ChannelCounters* c,
                       const mapping::TimeZone& zone) {
  Json out = Json::array();
  for (const config::DestinationConfig& d : channel.destinations) {
    Json j{{"name", d.name}, {"type", d.type}};
    if (c != nullptr) {
      for (const router::DestinationCounters& dc : c->destinations) {
        if (dc.name == d.name) {
          j["delivered"] = load(dc.delivered);
          j["retries"] = load(dc.retries);
          j["failed"] = load(dc.failed);
          j["queue"] = destination_queue_json(dc, d, zone);
        }
      }
    }
    out.push_back(std::move(j));
  }
  return out;
}

Json channel_counters_json(const router::ChannelCounters& c) {
  std::uint64_t retries = 0;
  for (const router::DestinationCounters& d : c.destinations) {
    retries += load(d.retries);
  }
  Json by_type = Json::array();
  for (const auto& t : c.by_type()) {
    if (by_type.empty() || by_type.back()["type"] != t.type) {
      by_type.push_back({{"type", t.type}, {"processed", 0}, {"failed", 0}});
    }
    by_type.back()[t.failed ? "failed" : "processed"] = t.messages;
  }
  return {{"processed", load(c.processed)},
          {"failed", load(c.failed)},
          {"mapping_warnings", load(c.mapping_warnings)},
          {"retries", retries},
          {"by_type", std::move(by_type)}};
}

Json queue_depth(const ChannelsSources& s, const std::string& source) {
  const router::SourceCounters* c =
      s.router != nullptr ? s.router->source_counters(source) : nullptr;
  return c != nullptr ? Json(c->waiting()) : Json();
}

Json source_json(const config::ListenerConfig& l, const ChannelsSources& s) {
  Json j{{"name", l.name}, {"type", listener_type(l.type)}};
  if (const router::SourceIngestStats* i =
          s.ingest != nullptr ? s.ingest->source_stats(l.name) : nullptr) {
    j["received"] = load(i->counters.received);
    j["accepted"] = load(i->counters.accepted);
    j["rejected"] = load(i->counters.rejected);
    j["duplicates"] = load(i->counters.duplicates);
    j["store_failures"] = load(i->counters.store_failures);
  }
  // Back-pressure: true while a queue of the source's channels is over its max_queue_depth.
  j["paused"] = s.ingest != nullptr && s.ingest->paused(l.name);
  if (const router::SourceCounters* r =
          s.router != nullptr ? s.router->source_counters(l.name) : nullptr) {
    j["unrouted"] = load(r->unrouted);
  }
  j["queue_depth"] = queue_depth(s, l.name);
  return j;
}

}  // namespace

std::string filter_summary(const config::FilterConfig& f) {
  std::string out;
  const auto part = [&out](const std::string& text) { out += (out.empty() ? "" : "; ") + text; };
  if (!f.message_types.empty()) {
    part("types " + joined(f.message_types));
  }
  if (!f.sending_applications.empty()) {
    part("sending applications " + joined(f.sending_applications));
  }
  if (!f.sending_facilities.empty()) {
    part("sending facilities " + joined(f.sending_facilities));
  }
  for (const config::PathCondition& c : f.conditions) {
    part(c.path + " = " + c.equals);
  }
  return out.empty() ? "all messages" : out;
}

namespace {

Json certificates_json(const ChannelsSources& s, const mapping::TimeZone& zone) {
  using std::chrono::system_clock;
  Json out = Json::array();
  if (!s.certificates) {
    return out;
  }
  const system_clock::time_point now = s.now ? s.now() : system_clock::now();
  for (const ServerCertificate& c : s.certificates()) {
    const auto left = std::chrono::floor<std::chrono::days>(c.expires_at - now);
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(c.expires_at.time_since_epoch());
    const char* state = c.expires_at <= now                            ? "expired"
                        : left.count() < kCertificateWarningDays ? "expiring"
                                                                 : "ok";
    out.push_back({{"server", c.server},
                   {"expires_at", format_iso(us.count(), zone)},
                   {"days_left", left.count()},
                   {"state", state}});
  }
  return out;
}

}  // namespace

Json channels_json(const ChannelsSources& s, const mapping::TimeZone& zone) {
  Json channels = Json::array();
  Json sources = Json::array();
  if (s.config != nullptr) {
    for (const config::ChannelConfig& channel : s.config->channels) {
      const router::ChannelCounters* counted = counters_of(s, channel.name);
      Json j;
      j["name"] = channel.name;
      j["source"] = channel.source;
      j["filter"] = filter_json(channel.filter);
      j["mapping"] = mapping_json(channel.mapping, s, zone);
      j["destinations"] = destinations_json(channel, counted, zone);
      j["counters"] = counted != nullptr ? channel_counters_json(*counted) : Json();
      // Entries waiting in the channel's destination queues; the source's processing backlog
      // is in `processing_backlog`.
      std::int64_t pending = 0;
      if (counted != nullptr) {
        for (const router::DestinationCounters& d : counted->destinations) {
          pending += d.pending.load(std::memory_order_relaxed);
        }
      }
      j["queue_depth"] = counted != nullptr ? Json(pending) : Json();
      j["processing_backlog"] = queue_depth(s, channel.source);
      channels.push_back(std::move(j));
    }
    for (const config::ListenerConfig& l : s.config->listeners) {
      sources.push_back(source_json(l, s));
    }
  }
  return {{"channels", std::move(channels)},
          {"sources", std::move(sources)},
          {"certificates", certificates_json(s, zone)}};
}

}  // namespace hisbridge::admin
