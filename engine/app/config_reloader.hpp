#pragma once

#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/app/config_reload.hpp"
#include "engine/app/tls_reload.hpp"
#include "engine/config/config.hpp"
#include "engine/core/result.hpp"

namespace hisbridge::app {

// What a reload changes in the running engine, each a quick call from the reloading thread.
struct ReloadHooks {
  std::function<void(const config::AdminConfig&)> admin;  // tokens, open_metrics
  // A listener's source limits (allow_from, max_connections_per_ip, message_timeout,
  // max_frames_per_second); false when that listener cannot change them while it runs (they
  // wait for a restart then, as with no hook at all).
  std::function<bool(const config::ListenerConfig&)> listener_limits;
  // Reads every TLS endpoint's files again (tls_reload.hpp), after a reload that was not
  // refused: a renewed certificate is taken without a restart.
  std::function<std::vector<TlsReread>()> tls;
  // Records the reload in the audit log; an error is logged (the reload is done by then).
  std::function<Result<void, std::string>(const nlohmann::ordered_json& detail)> audit;
};

// The outcome of one reload, as the log and the audit entry tell it.
struct ReloadOutcome {
  bool refused = false;             // the file has errors: nothing was changed
  std::vector<std::string> errors;  // file:line:col: message
  ReloadPlan plan;
  std::vector<TlsReread> tls;  // one per TLS endpoint, when not refused
};

// Re-reads the config file on request (SIGHUP) and applies what may change while the engine
// runs (config_reload.hpp); what may not is logged as waiting for a restart. A file with
// errors changes nothing: the running config stays, and each error is logged with its place.
// One reload at a time.
class ConfigReloader {
 public:
  // `running`: the config the engine started with (read from `running.file`).
  ConfigReloader(const config::Config& running, ReloadHooks hooks);

  ReloadOutcome reload();

 private:
  void apply(const config::Config& next, ReloadPlan& plan);

  std::filesystem::path file_;
  ReloadHooks hooks_;
  std::mutex mutex_;
  nlohmann::json started_;  // the file as the engine started on it
  nlohmann::json applied_;  // the live parts as last applied
};

}  // namespace hisbridge::app
