#include "engine/app/config_reloader.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "engine/app/log_settings.hpp"
#include "engine/config/config_loader.hpp"
#include "engine/config/json_reader.hpp"
#include "engine/core/read_whole_file.hpp"

namespace hisbridge::app {
namespace {

using nlohmann::json;

// The file's text, or why it cannot be read.
Result<std::string, std::string> read_text(const std::filesystem::path& file) {
  return read_whole_file(file, config::kMaxConfigFileBytes);
}

// The JSON of `text`; null when it does not parse (check_config_text says why).
json parse_json(const std::string& text, const std::filesystem::path& file) {
  const config::SourceMap map = config::SourceMap::build(text);
  config::ErrorSink sink(file.string(), map);
  json out;
  if (!config::parse_json_with_comments(text, sink, out)) {
    return nullptr;
  }
  return out;
}

json read_json(const std::filesystem::path& file) {
  const auto text = read_text(file);
  return text ? parse_json(*text, file) : json();
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    out += (out.empty() ? "" : ", ") + item;
  }
  return out.empty() ? "none" : out;
}

bool changes_listener(const ReloadPlan& plan, const std::string& name) {
  const std::string prefix = "listeners[" + name + "].";
  return std::any_of(plan.live.begin(), plan.live.end(),
                     [&](const std::string& s) { return s.starts_with(prefix); });
}

// Live changes under `prefix` wait for a restart when nothing can apply them.
void keep_for_restart(ReloadPlan& plan, std::string_view prefix, bool can_apply) {
  if (can_apply) {
    return;
  }
  const auto moved = std::stable_partition(plan.live.begin(), plan.live.end(),
                                           [&](const std::string& s) { return !s.starts_with(prefix); });
  plan.needs_restart.insert(plan.needs_restart.end(), moved, plan.live.end());
  plan.live.erase(moved, plan.live.end());
}

}  // namespace

ConfigReloader::ConfigReloader(const config::Config& running, ReloadHooks hooks)
    : file_(running.file), hooks_(std::move(hooks)), started_(read_json(file_)), applied_(started_) {}

ReloadOutcome ConfigReloader::reload() {
  const std::lock_guard lock(mutex_);
  ReloadOutcome outcome;
  // One read: the checked config and the compared JSON are the same bytes, however the file
  // is being edited meanwhile.
  const auto text = read_text(file_);
  config::Config next;
  if (!text) {
    outcome.errors.push_back(file_.string() + ": cannot open the config file: " + text.error());
  } else {
    for (const auto& error : config::check_config_text(*text, file_, &next)) {
      outcome.errors.push_back(error.to_string());
    }
  }
  json next_json = outcome.errors.empty() ? parse_json(*text, file_) : json();
  if (!outcome.errors.empty() || next_json.is_null()) {
    outcome.refused = true;
    spdlog::error("config reload: {} refused, the running config stays:", file_.string());
    for (const std::string& error : outcome.errors) {
      spdlog::error("  {}", error);
    }
  } else {
    outcome.plan.live = plan_reload(applied_, next_json).live;
    outcome.plan.needs_restart = plan_reload(started_, next_json).needs_restart;
    keep_for_restart(outcome.plan, "admin.", static_cast<bool>(hooks_.admin));
    keep_for_restart(outcome.plan, "listeners[", static_cast<bool>(hooks_.listener_limits));
    apply(next, outcome.plan);
    // The live parts are now the file's; the rest stays as started.
    applied_ = next_json;
    spdlog::info("config reload: {}: applied: {}; waiting for a restart: {}", file_.string(),
                 joined(outcome.plan.live), joined(outcome.plan.needs_restart));
    if (hooks_.tls) {
      outcome.tls = hooks_.tls();
    }
    for (const TlsReread& t : outcome.tls) {
      if (t.replaced) {
        spdlog::info("config reload: {}: TLS files read again: {}", t.server, t.detail);
      } else {
        spdlog::error("config reload: {}: TLS files not taken: {}", t.server, t.detail);
      }
    }
  }
  if (hooks_.audit) {
    nlohmann::ordered_json detail{{"file", file_.string()},
                                  {"result", outcome.refused ? "refused" : "applied"},
                                  {"applied", outcome.plan.live},
                                  {"needs_restart", outcome.plan.needs_restart},
                                  {"errors", outcome.errors}};
    if (!outcome.tls.empty()) {
      auto& tls = detail["tls"] = nlohmann::ordered_json::array();
      for (const TlsReread& t : outcome.tls) {
        tls.push_back({{"server", t.server}, {"replaced", t.replaced}, {"detail", t.detail}});
      }
    }
    if (auto audited = hooks_.audit(detail); !audited) {
      spdlog::error("config reload: the audit log could not record it: {}", audited.error());
    }
  }
  return outcome;
}

void ConfigReloader::apply(const config::Config& next, ReloadPlan& plan) {
  const auto changed = [&](std::string_view prefix) {
    return std::any_of(plan.live.begin(), plan.live.end(),
                       [&](const std::string& s) { return s.starts_with(prefix); });
  };
  if (changed("log")) {
    apply_log_settings(next.log);
  }
  if (changed("admin.") && hooks_.admin) {
    hooks_.admin(next.admin);
  }
  if (hooks_.listener_limits) {
    for (const config::ListenerConfig& l : next.listeners) {
      if (changes_listener(plan, l.name) && !hooks_.listener_limits(l)) {
        keep_for_restart(plan, "listeners[" + l.name + "].", false);
      }
    }
  }
}

}  // namespace hisbridge::app
