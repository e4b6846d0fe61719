#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adapters/admin/shared_store.hpp"
#include "adapters/file/drop_folder_listener.hpp"
#include "adapters/http/http_ingest_listener.hpp"
#include "adapters/mllp/mllp_listener.hpp"
#include "engine/config/config.hpp"
#include "engine/mapping/mapping_watcher.hpp"
#include "engine/metrics/registry.hpp"
#include "engine/router/ingest.hpp"
#include "engine/router/router.hpp"
#include "engine/store/group_committer.hpp"
#include "engine/store/retention.hpp"

namespace hisbridge::app {

// The engine's metrics, by name: every family docs/metrics.md lists is registered here, as a
// collector that reads the part's own counters at scrape time (so the hot paths keep the
// atomics they already had). Each part must outlive the registry's last expose(): the engine
// stops the admin server before anything else.

// Per source (label `source`): received, accepted, rejected, duplicates, store failures, and
// the ACK latency histogram. Sources are the configured listeners.
void register_ingest_metrics(metrics::Registry& registry, const router::Ingest& ingest,
                             const config::Config& config);
// Per channel, destination and source: processed/error by type, deliveries, retries,
// failures, mapping warnings, unrouted, queue depth.
void register_router_metrics(metrics::Registry& registry, const router::Router& router,
                             const config::Config& config);
// Group commit counters, and the journal's size and rows by status (read through `store`).
void register_store_metrics(metrics::Registry& registry, const store::GroupCommitter& committer,
                            std::shared_ptr<admin::SharedStore> store);
// Retention: messages the pruner deleted (0 without a pruner: retention off).
void register_retention_metrics(metrics::Registry& registry, const store::Pruner* pruner);
// Hot reload: refused reloads in total, and per mapping file its reloads, refusals and the
// time its running version was loaded.
void register_mapping_metrics(metrics::Registry& registry, const mapping::MappingWatcher& mappings);

// Per inbound listener (label `listener`), what its adapter counts.
void register_listener_metrics(metrics::Registry& registry, const std::string& name,
                               const mllp::MllpListener& listener);
void register_listener_metrics(metrics::Registry& registry, const std::string& name,
                               const http::HttpIngestListener& listener);
void register_listener_metrics(metrics::Registry& registry, const std::string& name,
                               const file::DropFolderListener& listener);
// The admin server's door, as an HTTP listener's (label listener="admin"): refusals, and with
// TLS the failed handshakes and the certificate's expiry.
void register_admin_server_metrics(metrics::Registry& registry, const http::HttpServer& server);

// The certificate an outbound destination presents (mutual TLS).
struct ClientCertificate {
  std::string channel;
  std::string destination;
  std::chrono::system_clock::time_point expires_at;
};
// hisbridge_tls_client_certificate_expiry_timestamp_seconds (labels `channel`, `destination`):
// `read` lists at each scrape the certificates the destinations present now, so a certificate
// renewed by a reload shows at once. `read` must outlive the registry's collectors.
void register_client_certificate_metrics(
    metrics::Registry& registry, std::function<std::vector<ClientCertificate>()> read);

}  // namespace hisbridge::app
