#include "adapters/admin/admin_handler.hpp"

#include <algorithm>
#include <charconv>
#include <variant>

#include "adapters/admin/dashboard_http.hpp"
#include "adapters/admin/mapping_preview.hpp"
#include "adapters/admin/messages_api.hpp"
#include "adapters/admin/patient_filter.hpp"
#include "adapters/admin/query.hpp"
#include "adapters/admin/responses.hpp"
#include "engine/metrics/exposition.hpp"

namespace hisbridge::admin {
namespace {

constexpr std::string_view kMessagesPath = "/api/v1/messages";
// The audit action of a message shown with its patient data.
constexpr std::string_view kViewMessage = "view-message";

mapping::TimeZone zone_of(const config::Config* config) {
  if (config != nullptr) {
    if (auto zone = mapping::TimeZone::load(config->timezone)) {
      return *zone;
    }
  }
  return mapping::TimeZone::utc();
}

// Without a trail from the engine: audit rows in the admin side's journal, and no file.
std::shared_ptr<audit::AuditTrail> journal_trail(const std::shared_ptr<SharedStore>& store) {
  return std::make_shared<audit::AuditTrail>(
      [store](const store::NewAuditEntry& row) {
        return store->with([&](store::Store& s) { return s.append_audit(row); });
      },
      nullptr);
}

// The journal failed: 500 naming what was asked, with the store's error.
http::HttpResponse store_failed(std::string_view what, const boost::system::error_code& ec) {
  return error_response(500, "journal " + std::string(what) + " failed: " + ec.message());
}

}  // namespace

AdminHandler::AdminHandler(AdminSources sources, std::shared_ptr<SharedStore> store,
                           AdminHandlerOptions options)
    : access_(std::make_shared<const AccessControl>(
          sources.config != nullptr ? sources.config->admin : config::AdminConfig{})),
      sources_(std::move(sources)),
      store_(std::move(store)),
      audit_(sources_.audit ? sources_.audit : journal_trail(store_)),
      zone_(zone_of(sources_.config)),
      turnaround_(sources_.timeline, zone_, sources_.overdue_lookback, sources_.now),
      replay_(sources_.config, store_, audit_, zone_, sources_.rewind),
      tasks_(options.max_pending) {}

AdminHandler::~AdminHandler() { stop(); }

void AdminHandler::set_access(const config::AdminConfig& admin) {
  access_.store(std::make_shared<const AccessControl>(admin));
}

void AdminHandler::handle(http::HttpRequest request, http::HttpResponder respond) {
  const std::string path(request.path());
  if (is_dashboard_path(path)) {
    return respond(dashboard_response(request));  // from memory: on the strand
  }
  const std::string_view replay_method = ReplayApi::method_of(path);
  const bool known = path == "/metrics" || path == "/healthz" || path == "/readyz" ||
                     path == "/api/v1/channels" || path == kMessagesPath ||
                     path.starts_with(std::string(kMessagesPath) + "/") ||
                     TurnaroundApi::serves(path) || !replay_method.empty();
  if (!known) {
    return respond(error_response(404, "no such path: " + path));
  }
  const std::string method(replay_method.empty() ? "GET" : replay_method);
  if (request.method != method) {
    http::HttpResponse r =
        error_response(405, "method " + request.method + " not allowed; use " + method);
    r.headers.push_back({"Allow", method});
    return respond(std::move(r));
  }
  auto admitted = access_.load()->admit(request, path);
  if (auto* refusal = std::get_if<http::HttpResponse>(&admitted)) {
    return respond(std::move(*refusal));
  }
  const Caller caller = std::get<Caller>(std::move(admitted));
  if (path == "/healthz") {
    return respond(json_response(200, {{"status", "ok"}}));
  }
  // The rest may wait on the journal: on the admin thread. A viewer's answer passes through
  // the patient-data filter whatever the endpoint.
  const bool queued = tasks_.post([this, path, caller, request = std::move(request), respond] {
    http::HttpResponse answer = route(path, request, caller);
    respond(caller.role == auth::Role::viewer ? for_viewer(std::move(answer)) : std::move(answer));
  });
  if (!queued) {
    http::HttpResponse r = error_response(503, "admin API busy; try again");
    r.headers.push_back({"Retry-After", "1"});
    respond(std::move(r));
  }
}

http::HttpResponse AdminHandler::route(const std::string& path, const http::HttpRequest& request,
                                       const Caller& caller) const {
  if (path == "/metrics") {
    return metrics();
  }
  if (path == "/readyz") {
    return ready();
  }
  if (path == "/api/v1/channels") {
    return channels();
  }
  if (path == kMessagesPath) {
    return messages(request, caller);
  }
  if (TurnaroundApi::serves(path)) {
    return turnaround_.handle(path, request);
  }
  if (!ReplayApi::method_of(path).empty()) {
    return replay_.handle(path, request, caller.actor);
  }
  return message(std::string_view(path).substr(kMessagesPath.size() + 1), caller, request.peer);
}

http::HttpResponse AdminHandler::metrics() const {
  std::string text = sources_.metrics != nullptr ? sources_.metrics->expose() : std::string();
  return text_response(200, std::string(metrics::kContentType), std::move(text));
}

http::HttpResponse AdminHandler::ready() const {
  std::vector<std::string> reasons;
  auto stats = store_->with([](store::Store& s) { return s.stats(); });
  nlohmann::ordered_json checks;
  checks["store"] = stats ? "ok" : "journal does not answer: " + stats.error().message();
  if (!stats) {
    reasons.push_back(checks["store"].get<std::string>());
  }
  std::vector<std::string> listeners =
      sources_.not_ready ? sources_.not_ready() : std::vector<std::string>{};
  std::string listener_text;
  for (const std::string& l : listeners) {
    listener_text += (listener_text.empty() ? "" : "; ") + l;
    reasons.push_back(l);
  }
  checks["listeners"] = listeners.empty() ? "ok" : listener_text;
  if (reasons.empty()) {
    return json_response(200, {{"status", "ready"}, {"checks", std::move(checks)}});
  }
  std::string why;
  for (const std::string& r : reasons) {
    why += (why.empty() ? "" : "; ") + r;
  }
  return json_response(503,
                       {{"status", "not ready"}, {"error", why}, {"checks", std::move(checks)}});
}

http::HttpResponse AdminHandler::channels() const {
  const ChannelsSources s{sources_.config, sources_.router, sources_.ingest, sources_.mappings,
                         sources_.certificates};
  return json_response(200, channels_json(s, zone_));
}

http::HttpResponse AdminHandler::messages(const http::HttpRequest& request,
                                          const Caller& caller) const {
  const auto params = parse_query(request.target);
  if (!params) {
    return error_response(400, "malformed %-escape in the query");
  }
  // Whether a patient has messages is itself patient data.
  const bool by_patient = std::any_of(params->begin(), params->end(),
                                      [](const auto& p) { return p.first == "patient_id"; });
  if (caller.role == auth::Role::viewer && by_patient) {
    return error_response(403, "searching by patient_id needs the operator role");
  }
  auto query = parse_message_query(*params, zone_);
  if (!query) {
    return error_response(400, query.error());
  }
  auto found = store_->with([&](store::Store& s) { return s.find(*query); });
  if (!found) {
    return store_failed("search", found.error());
  }
  return json_response(200, message_list(*found, query->limit, zone_));
}

http::HttpResponse AdminHandler::message(std::string_view id_text, const Caller& caller,
                                         const std::string& from) const {
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc() || end != id_text.data() + id_text.size() || id < 1) {
    return error_response(404, "no such message: " + std::string(id_text));
  }
  auto stored = store_->with([id](store::Store& s) { return s.get(id); });
  if (!stored) {
    if (stored.error() == store::StoreError::not_found) {
      return error_response(404, "no such message: " + std::to_string(id));
    }
    return store_failed("read", stored.error());
  }
  nlohmann::ordered_json j = message_detail(*stored, zone_);
  if (sources_.config != nullptr && sources_.mappings != nullptr) {
    j["mapped"] = mapping_preview(*stored, *sources_.config, *sources_.mappings);
  }
  auto entries = store_->with([id](store::Store& s) { return s.deliveries_of(id); });
  if (!entries) {
    return store_failed("queue read", entries.error());
  }
  j["deliveries"] = queue_entries(*entries, zone_);
  // An operator is shown the patient's data: that is an action the audit log records (the
  // message's id, never its content), and without its entry in the journal and the audit
  // file the data is not shown.
  if (caller.role != auth::Role::viewer) {
    const auto audited = audit_->append(
        {caller.actor, from, std::string(kViewMessage), {{"via", "api"}, {"message", id}}});
    if (!audited) {
      return error_response(
          500, "the message is not shown: its audit entry could not be written: " +
                   audited.error());
    }
  }
  return json_response(200, j);
}

}  // namespace hisbridge::admin
