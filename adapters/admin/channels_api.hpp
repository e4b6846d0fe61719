#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/config/config.hpp"
#include "engine/mapping/mapping_watcher.hpp"
#include "engine/mapping/time_zone.hpp"
#include "engine/router/ingest.hpp"
#include "engine/router/router.hpp"

namespace hisbridge::admin {

// A TLS endpoint's own certificate (a listener's, the admin server's, an mllp destination's
// client certificate), as new connections get it.
struct ServerCertificate {
  std::string server;  // "listener lis", "admin", "destination lab/his"
  std::chrono::system_clock::time_point expires_at;
};

// What `GET /api/v1/channels` reads; the pointers may be null (that part is not running, and its
// figures are left out). All must outlive the call.
struct ChannelsSources {
  const config::Config* config = nullptr;
  const router::Router* router = nullptr;
  const router::Ingest* ingest = nullptr;
  const mapping::MappingWatcher* mappings = nullptr;
  // Every TLS endpoint's certificate now; empty: none has one.
  std::function<std::vector<ServerCertificate>()> certificates{};
  // The clock days_left is counted on; the system clock when empty.
  std::function<std::chrono::system_clock::time_point()> now{};
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
//   "store_failures", "unrouted", "queue_depth"}],
//  "certificates": [{"server", "expires_at", "days_left", "state"}]}
// Counters count since the engine started; queue_depth is what waits for processing of what
// was stored since then (router::SourceCounters). days_left is whole days until expires_at
// (negative once it has passed); state is "expired", "expiring" (fewer than
// kCertificateWarningDays left: the dashboard and the log warn) or "ok".
constexpr int kCertificateWarningDays = 30;

nlohmann::ordered_json channels_json(const ChannelsSources& sources, const mapping::TimeZone& zone);

}  // namespace hisbridge::admin
