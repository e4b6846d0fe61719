#include "engine/config/turnaround_reader.hpp"

#include <set>

namespace hisbridge::config {
namespace {

using nlohmann::json;
using timeline::IntervalDefinition;
using timeline::Scope;

// Interval names become metric label values and API parameters: the same rule as other names.
bool valid_interval_name(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return false;
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
      return false;
    }
  }
  return true;
}

// A duration of at least one second; false (with the error reported) when it is not one, and
// when the key is absent.
bool read_seconds(ObjectReader& r, ErrorSink& sink, std::string_view key,
                  std::chrono::seconds& out) {
  if (!r.has(key)) {
    return false;
  }
  std::chrono::milliseconds value{-1};
  const std::size_t errors = sink.errors().size();
  r.duration(key, value);
  if (sink.errors().size() != errors) {
    return false;
  }
  if (value < std::chrono::seconds(1)) {
    sink.at_value(r.pointer(key), "'" + std::string(key) + "' must be at least 1s");
    return false;
  }
  out = std::chrono::duration_cast<std::chrono::seconds>(value);
  return true;
}

void read_scope(ObjectReader& r, ErrorSink& sink, IntervalDefinition& out) {
  std::string scope = "order";
  r.text("scope", scope);
  if (auto s = timeline::scope_from_string(scope)) {
    out.scope = *s;
    return;
  }
  std::string message = "interval scope '" + scope + "' is not one of order, visit, message";
  const std::string suggestion = closest_match(scope, {"order", "visit", "message"});
  if (!suggestion.empty()) {
    message += " (did you mean '" + suggestion + "'?)";
  }
  sink.at_value(r.pointer("scope"), std::move(message));
}

// `to`: one event kind, or a list of them (the earliest counts).
void read_to(ObjectReader& r, ErrorSink& sink, IntervalDefinition& out) {
  const json* to = r.member("to");
  if (to == nullptr) {
    std::string none;
    r.text("to", none, true);  // reports it missing
    return;
  }
  if (to->is_string()) {
    r.text("to", out.to.emplace_back(), true);
    return;
  }
  if (!to->is_array() || to->empty()) {
    sink.at_value(r.pointer("to"), "'to' must be an event kind or a list of event kinds");
    return;
  }
  r.texts("to", out.to);
  for (std::size_t i = 0; i < out.to.size(); ++i) {
    if (out.to[i].empty()) {
      sink.at_value(r.pointer("to") + "/" + std::to_string(i), "an event kind must not be empty");
    }
  }
}

// {"S": "60m", "R": "4h", "*": "30m"}: "*" is the target of every priority not listed.
void read_targets(const json& j, const std::string& pointer, ErrorSink& sink,
                  IntervalDefinition& out) {
  if (!j.is_object()) {
    sink.at_value(pointer, "'targets' must be an object of priority: duration");
    return;
  }
  for (const auto& [priority, value] : j.items()) {
    if (priority.empty()) {
      sink.at_key(pointer + "/", "a target needs a priority code, or \"*\" for every priority");
      continue;
    }
    // A reader over this one member, so that its errors are placed in the file.
    const json one = json::object({{priority, value}});
    ObjectReader t(one, pointer, sink, {std::string_view(priority)});
    std::chrono::seconds target{};
    if (read_seconds(t, sink, priority, target)) {
      out.targets[priority == "*" ? std::string() : priority] = target;
    }
  }
}

// Rules between the fields of one interval.
void check_interval(const IntervalDefinition& d, const std::string& at, ErrorSink& sink,
                    const ObjectReader& r) {
  if (d.scope == Scope::message &&
      (d.from != timeline::kAccepted || d.to != std::vector<std::string>{"delivered"})) {
    sink.at_value(at, "a message interval runs from 'accepted' to 'delivered', the only "
                      "events the engine marks per message");
  }
  if (d.scope != Scope::order && !d.discipline.empty()) {
    // A visit's events come from both disciplines, a message's from the engine.
    sink.at_value(r.pointer("discipline"), "only order intervals take a 'discipline'");
  }
}

void read_interval(const json& j, const std::string& at, ErrorSink& sink,
                   IntervalDefinition& out) {
  ObjectReader r(j, at, sink, {"name", "scope", "from", "to", "discipline", "targets"});
  if (!r.valid()) {
    return;
  }
  r.text("name", out.name, true);
  if (!out.name.empty() && !valid_interval_name(out.name)) {
    sink.at_value(r.pointer("name"), "interval name '" + out.name +
                                         "' may hold only lower-case letters, digits, '-' and '_'");
  }
  read_scope(r, sink, out);
  r.text("from", out.from, true);
  read_to(r, sink, out);
  r.text("discipline", out.discipline);
  if (const json* targets = r.member("targets")) {
    read_targets(*targets, r.pointer("targets"), sink, out);
  }
  check_interval(out, at, sink, r);
}

void read_intervals(const json& list, const std::string& at, ErrorSink& sink,
                    std::vector<IntervalDefinition>& out) {
  if (!list.is_array()) {
    sink.at_value(at, "'intervals' must be a list");
    return;
  }
  out.clear();
  std::set<std::string> names;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item = at + "/" + std::to_string(i);
    IntervalDefinition d;
    read_interval(list[i], item, sink, d);
    if (!d.name.empty() && !names.insert(d.name).second) {
      sink.at_value(item + "/name", "interval name '" + d.name + "' is used twice");
    }
    out.push_back(std::move(d));
  }
}

}  // namespace

void read_turnaround(const json& j, ErrorSink& sink, TurnaroundConfig& out) {
  ObjectReader r(j, "/turnaround", sink, {"intervals", "overdue_lookback", "metric_departments"});
  if (!r.valid()) {
    return;
  }
  if (const json* intervals = r.member("intervals")) {
    read_intervals(*intervals, r.pointer("intervals"), sink, out.intervals);
  }
  read_seconds(r, sink, "overdue_lookback", out.overdue_lookback);
  r.count("metric_departments", out.metric_departments, 0, 1000);
}

}  // namespace hisbridge::config
