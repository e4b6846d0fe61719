#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine/config/config.hpp"
#include "engine/mapping/mapping_watcher.hpp"
#include "engine/mapping/time_zone.hpp"
#include "engine/router/ingest.hpp"
#include "engine/router/router.hpp"

namespace hisbridge::admin {

// What `GET /api/v1/channels` reads; the pointers may be null (that part is not running, and its
// figures are left out). All must outlive the call.
struct ChannelsSources {
  const config::Config* config = nullptr;
  const router::Router* router = nullptr;
  const router::Ingest* ingest = nullptr;
  const mapping::MappingWatcher* mappings = nullptr;
};

// The filter as one line a person reads: "all messages", or
// "types ORU^R01, ADT; sending applications LIS; PID-3.4 = BVDK".
std::string filter_summary(const config::FilterConfig& filter);

// {"channels": [{"name", "source", "filter": {"summary", "message_types", "sending_applications",
//   "sending_facilities", "conditions": [{"path", "equals"}]},
//   "mapping": {"file", "name", "loaded_at", "reloads", "reload_failures", "last_error"} | null,
//   "destinations": [{"name", "type", "delivered", "retries", "failed"}],
//   "counters": {"processed", "failed", "mapping_warnings", "retries",
//                "by_type": [{"type", "processed", "failed"}]},
//   "queue_depth"}],
//  "sources": [{"name", "type", "received", "accepted", "rejected", "duplicates",
//   "store_failures", "unrouted", "queue_depth"}]}
// Counters count since the engine started; queue_depth is what waits for processing of what
// was stored since then (router::SourceCounters).
nlohmann::ordered_json channels_json(const ChannelsSources& sources, const mapping::TimeZone& zone);

}  // namespace hisbridge::admin
