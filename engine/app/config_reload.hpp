#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hisbridge::app {

// What a config reload (SIGHUP, `systemctl reload hisbridge`) may change while the engine
// runs, and what it may not. Live: the `log` section, the admin tokens and open_metrics, and
// each listener's source limits (allow_from, max_connections_per_ip, message_timeout,
// max_frames_per_second) where the running listener can take new ones (ConfigReloader moves
// them to needs_restart otherwise). Everything else (ports, the `tls` settings, the store,
// channels, destinations, turnaround) is wired into running parts, so a change there is
// reported as needing a restart and the running value stays. The contents of the TLS files
// named at start are read again at every reload (ReloadHooks::tls), changed or not. Mapping and
// lookup-table files reload by themselves (mapping_reload_interval).
//
// Settings are named for people: "log.level", "admin.tokens", "listeners[lis].port",
// "channels[lab].destinations".
struct ReloadPlan {
  std::vector<std::string> live;           // changed, applied now
  std::vector<std::string> needs_restart;  // changed, applied at the next start
};

// Compares two configs as read from their files (JSON, comments stripped). A key that is
// absent and one present with its default value count as a change (the files differ, and a
// restart costs little compared with a setting silently ignored).
ReloadPlan plan_reload(const nlohmann::json& running, const nlohmann::json& next);

}  // namespace hisbridge::app
