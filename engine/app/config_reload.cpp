#include "engine/app/config_reload.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <string_view>

namespace hisbridge::app {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 2> kLiveAdmin{"tokens", "open_metrics"};
constexpr std::array<std::string_view, 4> kLiveListener{"allow_from", "max_connections_per_ip",
                                                       "message_timeout", "max_frames_per_second"};

const json& member(const json& object, const std::string& key) {
  static const json kAbsent;
  if (!object.is_object()) {
    return kAbsent;
  }
  const auto it = object.find(key);
  return it == object.end() ? kAbsent : *it;
}

std::set<std::string> keys_of(const json& a, const json& b) {
  std::set<std::string> keys;
  for (const json* o : {&a, &b}) {
    if (o->is_object()) {
      for (const auto& [key, value] : o->items()) {
        keys.insert(key);
      }
    }
  }
  return keys;
}

template <std::size_t N>
bool among(const std::array<std::string_view, N>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// Each member of an object that differs, as "<prefix>.<key>", live when among `live_keys`.
template <std::size_t N>
void compare_members(const json& running, const json& next, const std::string& prefix,
                     const std::array<std::string_view, N>& live_keys, ReloadPlan& plan) {
  for (const std::string& key : keys_of(running, next)) {
    if (member(running, key) != member(next, key)) {
      (among(live_keys, key) ? plan.live : plan.needs_restart).push_back(prefix + "." + key);
    }
  }
}

// The named entry of a list of objects, or null.
const json* entry_named(const json& list, const json& name) {
  if (!list.is_array()) {
    return nullptr;
  }
  for (const json& entry : list) {
    if (member(entry, "name") == name) {
      return &entry;
    }
  }
  return nullptr;
}

// Lists of named entries (listeners, channels) compare entry by entry, by name: an entry added
// or removed needs a restart, a changed one is compared member by member.
template <std::size_t N>
void compare_list(const std::string& key, const json& running, const json& next,
                  const std::array<std::string_view, N>& live_keys, ReloadPlan& plan) {
  const json& was = member(running, key);
  const json& now = member(next, key);
  for (const json* list : {&was, &now}) {
    if (!list->is_array()) {
      continue;
    }
    for (const json& entry : *list) {
      const json& name = member(entry, "name");
      const json* before = entry_named(was, name);
      const json* after = entry_named(now, name);
      const std::string label = key + "[" + (name.is_string() ? name.get<std::string>() : "?") + "]";
      if (before == nullptr || after == nullptr) {
        const std::string what = label + (before == nullptr ? " added" : " removed");
        if (std::find(plan.needs_restart.begin(), plan.needs_restart.end(), what) ==
            plan.needs_restart.end()) {
          plan.needs_restart.push_back(what);
        }
      } else if (list == &now) {
        compare_members(*before, *after, label, live_keys, plan);
      }
    }
  }
}

}  // namespace

ReloadPlan plan_reload(const json& running, const json& next) {
  ReloadPlan plan;
  constexpr std::array<std::string_view, 0> kNone{};
  for (const std::string& key : keys_of(running, next)) {
    const json& was = member(running, key);
    const json& now = member(next, key);
    if (was == now) {
      continue;
    }
    if (key == "log") {
      plan.live.push_back("log");
    } else if (key == "admin") {
      compare_members(was, now, "admin", kLiveAdmin, plan);
    } else if (key == "listeners") {
      compare_list(key, running, next, kLiveListener, plan);
    } else if (key == "channels") {
      compare_list(key, running, next, kNone, plan);
    } else {
      plan.needs_restart.push_back(key);
    }
  }
  return plan;
}

}  // namespace hisbridge::app
