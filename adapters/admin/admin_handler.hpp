#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adapters/admin/access_control.hpp"
#include "adapters/admin/channels_api.hpp"
#include "adapters/admin/replay_api.hpp"
#include "adapters/admin/shared_store.hpp"
#include "adapters/admin/task_queue.hpp"
#include "adapters/admin/turnaround_api.hpp"
#include "adapters/http/http_server.hpp"
#include "engine/audit/audit_trail.hpp"
#include "engine/mapping/time_zone.hpp"
#include "engine/metrics/registry.hpp"

namespace hisbridge::admin {

// What the admin API reads of the running engine. Null pointers are parts that are not
// running: their figures are left out. Everything must outlive the handler.
struct AdminSources {
  const config::Config* config = nullptr;  // required: channels, listeners, the time zone
  const metrics::Registry* metrics = nullptr;
  const router::Router* router = nullptr;
  const router::Ingest* ingest = nullptr;
  const mapping::MappingWatcher* mappings = nullptr;
  // What keeps the engine from taking messages besides the store (listeners not bound); empty
  // when nothing does. Called on the admin thread.
  std::function<std::vector<std::string>()> not_ready;
  // Every TLS endpoint's certificate, for /api/v1/channels; empty: none has one.
  std::function<std::vector<ServerCertificate>()> certificates{};
  // The admin side's timeline connection; null: the turnaround paths answer 503.
  std::shared_ptr<SharedTimeline> timeline = nullptr;
  std::chrono::seconds overdue_lookback{std::chrono::hours(48)};
  TurnaroundApi::Clock now = nullptr;  // the system clock unless a test gives its own
  // Tells the router that a replay set messages of a source back to `received`
  // (router::Router::rewind); empty: the router finds them within a second on its own.
  std::function<void(const std::string& source)> rewind{};
  // Where operator actions are recorded (the journal's audit rows and the audit file); null:
  // the handler's own journal connection alone, without a file.
  std::shared_ptr<audit::AuditTrail> audit = nullptr;
};

struct AdminHandlerOptions {
  // Requests waiting for the admin thread; more are answered 503 with Retry-After.
  std::size_t max_pending = 64;
};

// The admin HTTP API (docs/metrics.md), served by an HttpServer:
//   GET /metrics                 Prometheus text exposition 0.0.4 of `metrics`
//   GET /healthz                 200 {"status": "ok"} while the process answers
//   GET /readyz                  200 {"status": "ready"} when the journal answers a query and
//                                `not_ready` reports nothing, else 503 with the reasons
//   GET /api/v1/channels         channels with their filter, mapping, destinations, counters
//   GET /api/v1/messages         journal search (messages_api.hpp), without raw text
//   GET /api/v1/messages/{id}    one message with its raw text, what its channels' mappings
//                                make of it now, and its destination queue entries
//   POST /api/v1/messages/{id}/reprocess, POST /api/v1/replay, GET /api/v1/audit
//                                replay_api.hpp
//   GET /api/v1/turnaround[/distribution|/intervals], /api/v1/overdue   turnaround_api.hpp
// Access (access_control.hpp): with admin tokens in the config, 401 without a known token, 403
// for a role that may not; a viewer's answers have patient data masked (patient_filter.hpp);
// an operator's look at one message is written to the audit log ("view-message") before it is
// shown, and not shown when the entry cannot be written (to the journal and the audit file).
// Errors are JSON {"error": "..."}: 400 a bad parameter (named), 404 an unknown path or
// message, 405 a method the path does not take (with Allow), 500 the journal failed, 503
// busy. Every answer has Cache-Control: no-store.
//
// Threads: handle() runs on the connection's strand and only routes; /healthz is answered
// there, everything else on the handler's own thread (TaskQueue), because journal queries and
// scrapes may block and the strands' threads also serve the inbound adapters.
class AdminHandler final : public http::HttpHandler {
 public:
  AdminHandler(AdminSources sources, std::shared_ptr<SharedStore> store,
               AdminHandlerOptions options = {});
  // stop().
  ~AdminHandler() override;
  AdminHandler(const AdminHandler&) = delete;
  AdminHandler& operator=(const AdminHandler&) = delete;

  void handle(http::HttpRequest request, http::HttpResponder respond) override;
  // Requests not yet started are dropped; the one under way finishes. Idempotent.
  void stop() { tasks_.stop(); }
  // Replaces the tokens and open_metrics (a config reload): requests admitted from now on
  // are judged by them. Thread-safe.
  void set_access(const config::AdminConfig& admin);

 private:
  // The answer to an admitted request, on the admin thread.
  http::HttpResponse route(const std::string& path, const http::HttpRequest& request,
                           const Caller& caller) const;
  http::HttpResponse metrics() const;
  http::HttpResponse ready() const;
  http::HttpResponse channels() const;
  http::HttpResponse messages(const http::HttpRequest& request, const Caller& caller) const;
  // `from`: the peer address, for the audit entry.
  http::HttpResponse message(std::string_view id, const Caller& caller,
                             const std::string& from) const;

  std::atomic<std::shared_ptr<const AccessControl>> access_;
  AdminSources sources_;
  std::shared_ptr<SharedStore> store_;
  std::shared_ptr<audit::AuditTrail> audit_;  // sources.audit, or one on store_
  mapping::TimeZone zone_;
  TurnaroundApi turnaround_;
  ReplayApi replay_;
  TaskQueue tasks_;  // last: its thread runs the members above
};

}  // namespace hisbridge::admin
