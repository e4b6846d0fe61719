#include "engine/config/config_loader.hpp"

#include <set>

#include "engine/config/json_reader.hpp"
#include "engine/config/admin_reader.hpp"
#include "engine/config/tls_reader.hpp"
#include "engine/config/turnaround_reader.hpp"
#include "engine/core/read_whole_file.hpp"
#include "engine/hl7/charset.hpp"
#include "engine/hl7/path.hpp"

namespace hisbridge::config {
namespace {

using nlohmann::json;

bool valid_name(std::string_view name) {
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

void read_name(ObjectReader& r, ErrorSink& sink, std::string& out) {
  r.text("name", out, true);
  if (!out.empty() && !valid_name(out)) {
    sink.at_value(r.pointer("name"),
                  "name '" + out + "' may hold only lower-case letters, digits, '-' and '_'");
  }
}

// A message pruned while its repeats could still arrive would let a repeat in as new: the
// duplicate window has to end before retention starts.
void read_retention(const json& j, ErrorSink& sink, std::chrono::seconds duplicate_window,
                    RetentionConfig& out) {
  ObjectReader r(j, "/store/retention", sink, {"max_age", "max_size", "batch", "interval"});
  if (!r.valid()) {
    return;
  }
  std::chrono::milliseconds max_age = out.max_age;
  r.duration("max_age", max_age);
  out.max_age = std::chrono::duration_cast<std::chrono::seconds>(max_age);
  if (out.max_age.count() > 0 && out.max_age < duplicate_window) {
    sink.at_value(r.pointer("max_age"),
                  "'max_age' (" + std::to_string(out.max_age.count()) +
                      "s) must not be shorter than store.duplicate_window (" +
                      std::to_string(duplicate_window.count()) +
                      "s): a repeat of a pruned message would be stored as new");
  }
  // A journal smaller than a few megabytes would prune messages as fast as they come.
  constexpr std::int64_t kMinSize = 10'000'000;
  r.bytes("max_size", out.max_size_bytes, kMinSize);
  r.count("batch", out.batch, 1, 100'000);
  r.duration("interval", out.interval);
  if (out.interval < std::chrono::seconds(1)) {
    sink.at_value(r.pointer("interval"), "'interval' must be at least 1s");
  }
}

void read_store(const json& j, ErrorSink& sink, StoreConfig& out) {
  ObjectReader r(j, "/store", sink, {"location", "duplicate_window", "max_batch", "retention"});
  r.text("location", out.location, true);
  std::chrono::milliseconds window = out.duplicate_window;
  r.duration("duplicate_window", window);
  out.duplicate_window = std::chrono::duration_cast<std::chrono::seconds>(window);
  r.count("max_batch", out.max_batch, 1, 100'000);
  if (const json* retention = r.member("retention")) {
    read_retention(*retention, sink, out.duplicate_window, out.retention);
  }
}

// TLS, source addresses and the limits a peer must keep (mllp and http listeners).
void read_connection_limits(ObjectReader& r, ErrorSink& sink, ListenerConfig& out) {
  const bool network = out.type != ListenerType::file;
  for (const auto key : {"tls", "allow_from", "max_connections_per_ip", "message_timeout",
                         "max_frames_per_second"}) {
    if (!network && r.has(key)) {
      sink.at_key(r.pointer(key), "'" + std::string(key) + "' applies to mllp and http listeners");
    }
  }
  if (const json* tls = r.member("tls"); tls != nullptr && network) {
    read_tls(*tls, r.pointer("tls"), TlsSide::server, sink, out.tls);
  }
  r.texts("allow_from", out.allow_from);
  for (std::size_t i = 0; i < out.allow_from.size(); ++i) {
    if (auto problem = address_range_problem(out.allow_from[i]); !problem.empty()) {
      sink.at_value(r.pointer("allow_from") + "/" + std::to_string(i), std::move(problem));
    }
  }
  r.count("max_connections_per_ip", out.max_connections_per_ip, 0, 100'000);
  r.duration("message_timeout", out.message_timeout);
  if (out.message_timeout < std::chrono::seconds(1)) {
    sink.at_value(r.pointer("message_timeout"), "'message_timeout' must be at least 1s");
  }
  if (out.type == ListenerType::http && r.has("max_frames_per_second")) {
    sink.at_key(r.pointer("max_frames_per_second"), "'max_frames_per_second' applies to mllp listeners");
  }
  std::size_t frames = 0;
  r.count("max_frames_per_second", frames, 0, 1'000'000);
  out.max_frames_per_second = static_cast<double>(frames);
}

void read_listener(const json& j, const std::string& pointer, ErrorSink& sink, ListenerConfig& out) {
  ObjectReader r(j, pointer, sink,
                 {"name", "type", "host", "port", "folder", "max_frame_bytes", "max_connections",
                  "idle_timeout", "poll_interval", "charset", "tls", "allow_from",
                  "max_connections_per_ip", "message_timeout", "max_frames_per_second"});
  if (!r.valid()) {
    return;
  }
  read_name(r, sink, out.name);
  std::string type = "mllp";
  r.text("type", type);
  if (type == "mllp") {
    out.type = ListenerType::mllp;
  } else if (type == "http") {
    out.type = ListenerType::http;
  } else if (type == "file") {
    out.type = ListenerType::file;
  } else {
    std::string message = "listener type '" + type + "' is not one of mllp, http, file";
    const std::string suggestion = closest_match(type, {"mllp", "http", "file"});
    if (!suggestion.empty()) {
      message += " (did you mean '" + suggestion + "'?)";
    }
    sink.at_value(r.pointer("type"), std::move(message));
  }
  r.text("host", out.host);
  r.port("port", out.port, out.type != ListenerType::file);
  r.text("folder", out.folder, out.type == ListenerType::file);
  r.count("max_frame_bytes", out.max_frame_bytes, 1024, std::size_t{1} << 30);
  r.count("max_connections", out.max_connections, 1, 100'000);
  r.duration("idle_timeout", out.idle_timeout);
  r.duration("poll_interval", out.poll_interval);
  r.text("charset", out.charset);
  if (!out.charset.empty()) {
    auto charset = hl7::Charset::resolve(out.charset);
    if (!charset) {
      sink.at_value(r.pointer("charset"), charset.error().message());
    }
  }
  read_connection_limits(r, sink, out);
}

void read_filter(const json& j, const std::string& pointer, ErrorSink& sink, FilterConfig& out) {
  ObjectReader r(j, pointer, sink,
                 {"message_types", "sending_applications", "sending_facilities", "conditions"});
  r.texts("message_types", out.message_types);
  r.texts("sending_applications", out.sending_applications);
  r.texts("sending_facilities", out.sending_facilities);
  const json* conditions = r.member("conditions");
  if (conditions == nullptr) {
    return;
  }
  if (!conditions->is_array()) {
    sink.at_value(r.pointer("conditions"), "'conditions' must be a list of {\"path\", \"equals\"}");
    return;
  }
  for (std::size_t i = 0; i < conditions->size(); ++i) {
    const std::string at = r.pointer("conditions") + "/" + std::to_string(i);
    ObjectReader c((*conditions)[i], at, sink, {"path", "equals"});
    PathCondition condition;
    c.text("path", condition.path, true);
    c.text("equals", condition.equals);
    if (!condition.path.empty()) {
      auto path = hl7::Path::parse(condition.path);
      if (!path) {
        sink.at_value(c.pointer("path"), path.error().message());
      }
    }
    out.conditions.push_back(std::move(condition));
  }
}

void check_file(ObjectReader& r, ErrorSink& sink, std::string_view key, const std::string& file,
                std::string_view what) {
  if (!file.empty() && !std::filesystem::is_regular_file(file)) {
    sink.at_value(r.pointer(key), std::string(what) + " '" + file + "' does not exist");
  }
}

void read_retry(const json& j, const std::string& pointer, ErrorSink& sink, RetryConfig& out) {
  ObjectReader r(j, pointer, sink, {"first_delay", "max_delay", "max_attempts"});
  if (!r.valid()) {
    return;
  }
  r.duration("first_delay", out.first_delay);
  r.duration("max_delay", out.max_delay);
  r.count("max_attempts", out.max_attempts, 1, 1'000'000);
  if (out.first_delay < std::chrono::milliseconds(10)) {
    sink.at_value(r.pointer("first_delay"), "'first_delay' must be at least 10ms");
  }
  if (out.max_delay < out.first_delay) {
    sink.at_value(r.pointer("max_delay"), "'max_delay' must not be shorter than 'first_delay'");
  }
}

void read_destination(ObjectReader& d, ErrorSink& sink, DestinationConfig& out) {
  if (!d.valid()) {
    return;
  }
  read_name(d, sink, out.name);
  d.text("type", out.type, true);
  d.text("location", out.location);
  d.text("folder", out.folder);
  d.text("url", out.url);
  d.text("host", out.host);
  d.port("port", out.port, out.type == "mllp");
  d.text("content", out.content);
  d.flag("verify_tls", out.verify_tls);
  d.duration("timeout", out.timeout);
  if (const json* tls = d.member("tls")) {
    read_tls(*tls, d.pointer("tls"), TlsSide::client, sink, out.tls);
    if (out.type != "mllp") {
      sink.at_key(d.pointer("tls"), "'tls' applies to mllp destinations (a fhir url says https)");
    }
  }
  d.text("mapping", out.mapping);
  check_file(d, sink, "mapping", out.mapping, "mapping file");
  if (const json* retry = d.member("retry")) {
    read_retry(*retry, d.pointer("retry"), sink, out.retry);
  }
  d.count("max_queue_depth", out.max_queue_depth, 1, 100'000'000);
  const auto types = {std::string_view("his-db"), std::string_view("fhir"),
                      std::string_view("xml130"), std::string_view("mllp"),
                      std::string_view("file")};
  if (out.type.empty()) {
    return;
  }
  if (std::find(types.begin(), types.end(), out.type) == types.end()) {
    std::string message =
        "destination type '" + out.type + "' is not one of his-db, fhir, xml130, mllp, file";
    const std::string suggestion = closest_match(out.type, types);
    if (!suggestion.empty()) {
      message += " (did you mean '" + suggestion + "'?)";
    }
    sink.at_value(d.pointer("type"), std::move(message));
    return;
  }
  const auto needs = [&](std::string_view key, bool present) {
    if (!present) {
      sink.at_value(d.pointer("type"), "a " + out.type + " destination needs '" +
                                           std::string(key) + "'");
    }
  };
  if (out.type == "fhir") {
    needs("folder' or 'url", !out.folder.empty() || !out.url.empty());
  } else if (out.type == "xml130") {
    needs("folder", !out.folder.empty());
    needs("mapping", !out.mapping.empty());
  } else if (out.type == "mllp") {
    needs("host", !out.host.empty());
  } else if (out.type == "file") {
    needs("folder", !out.folder.empty());
    if (out.content != "raw" && out.content != "records") {
      sink.at_value(d.pointer("content"),
                    "'content' must be 'raw' (the message as received) or 'records'");
    }
  }
}

void read_channel(const json& j, const std::string& pointer, ErrorSink& sink, ChannelConfig& out) {
  ObjectReader r(j, pointer, sink, {"name", "source", "filter", "mapping", "destinations"});
  if (!r.valid()) {
    return;
  }
  read_name(r, sink, out.name);
  r.text("source", out.source, true);
  if (const json* filter = r.member("filter")) {
    read_filter(*filter, r.pointer("filter"), sink, out.filter);
  }
  r.text("mapping", out.mapping);
  check_file(r, sink, "mapping", out.mapping, "mapping file");
  const json* destinations = r.member("destinations");
  if (destinations == nullptr) {
    return;
  }
  if (!destinations->is_array()) {
    sink.at_value(r.pointer("destinations"), "'destinations' must be a list");
    return;
  }
  for (std::size_t i = 0; i < destinations->size(); ++i) {
    const std::string at = r.pointer("destinations") + "/" + std::to_string(i);
    ObjectReader d((*destinations)[i], at, sink,
                   {"name", "type", "location", "folder", "url", "host", "port", "content",
                    "verify_tls", "tls", "timeout", "mapping", "retry", "max_queue_depth"});
    DestinationConfig destination;
    read_destination(d, sink, destination);
    out.destinations.push_back(std::move(destination));
  }
}

template <class T, class Read>
void read_list(const json& root, std::string_view key, ErrorSink& sink, std::vector<T>& out, Read read) {
  auto it = root.find(key);
  if (it == root.end()) {
    return;
  }
  const std::string pointer = "/" + std::string(key);
  if (!it->is_array()) {
    sink.at_value(pointer, "'" + std::string(key) + "' must be a list");
    return;
  }
  for (std::size_t i = 0; i < it->size(); ++i) {
    T item;
    read((*it)[i], pointer + "/" + std::to_string(i), sink, item);
    out.push_back(std::move(item));
  }
}

// Rules that span several entries: unique names and ports, channel sources that exist.
void check_references(const Config& c, ErrorSink& sink) {
  std::set<std::string> names;
  std::set<std::pair<std::string, std::uint16_t>> endpoints{{c.admin.host, c.admin.port}};
  for (std::size_t i = 0; i < c.listeners.size(); ++i) {
    const ListenerConfig& l = c.listeners[i];
    const std::string at = "/listeners/" + std::to_string(i);
    if (!l.name.empty() && !names.insert(l.name).second) {
      sink.at_value(at + "/name", "listener name '" + l.name + "' is used twice");
    }
    if (l.type != ListenerType::file && l.port != 0) {
      bool clash = false;
      for (const auto& [host, port] : endpoints) {
        clash = clash || (port == l.port && (host == l.host || host == "0.0.0.0" || l.host == "0.0.0.0"));
      }
      if (clash) {
        sink.at_value(at + "/port", "port " + std::to_string(l.port) + " is already used by another listener or the admin server");
      }
      endpoints.insert({l.host, l.port});
    }
  }
  std::set<std::string> channel_names;
  for (std::size_t i = 0; i < c.channels.size(); ++i) {
    const ChannelConfig& ch = c.channels[i];
    const std::string at = "/channels/" + std::to_string(i);
    if (!ch.name.empty() && !channel_names.insert(ch.name).second) {
      sink.at_value(at + "/name", "channel name '" + ch.name + "' is used twice");
    }
    // A destination's queue is known by channel and destination name.
    std::set<std::string> destination_names;
    for (std::size_t d = 0; d < ch.destinations.size(); ++d) {
      const std::string& name = ch.destinations[d].name;
      if (!name.empty() && !destination_names.insert(name).second) {
        sink.at_value(at + "/destinations/" + std::to_string(d) + "/name",
                      "destination name '" + name + "' is used twice in this channel");
      }
    }
    if (!ch.source.empty() && c.listener(ch.source) == nullptr) {
      std::string message = "channel source '" + ch.source + "' is not a listener name";
      std::string known;
      for (const auto& l : c.listeners) {
        known += (known.empty() ? "" : ", ") + l.name;
      }
      if (!known.empty()) {
        message += " (listeners: " + known + ")";
      }
      sink.at_value(at + "/source", std::move(message));
    }
  }
}

void read_root(const json& root, ErrorSink& sink, Config& c) {
  ObjectReader r(root, "", sink,
                 {"timezone", "store", "his", "admin", "log", "listeners", "channels",
                  "mapping_reload_interval", "turnaround", "audit"});
  if (!r.valid()) {
    return;
  }
  r.text("timezone", c.timezone);
  r.duration("mapping_reload_interval", c.mapping_reload_interval);
  if (const json* store = r.member("store")) {
    read_store(*store, sink, c.store);
  }
  if (const json* his = r.member("his")) {
    ObjectReader h(*his, "/his", sink, {"location"});
    h.text("location", c.his_location, true);
  }
  if (const json* admin = r.member("admin")) {
    read_admin(*admin, sink, c.admin);
  }
  if (const json* audit = r.member("audit")) {
    ObjectReader a(*audit, "/audit", sink, {"file", "max_size", "keep"});
    a.text("file", c.audit.file, true);
    a.bytes("max_size", c.audit.max_size_bytes, 100'000);
    a.count("keep", c.audit.keep, 1, 1000);
  }
  if (const json* log = r.member("log")) {
    ObjectReader l(*log, "/log", sink, {"level", "show_patient_data"});
    l.text("level", c.log.level);
    const auto levels = {std::string_view("trace"), std::string_view("debug"),
                         std::string_view("info"), std::string_view("warn"),
                         std::string_view("error")};
    if (std::find(levels.begin(), levels.end(), c.log.level) == levels.end()) {
      sink.at_value("/log/level", "log level '" + c.log.level + "' is not one of trace, debug, info, warn, error");
    }
    l.flag("show_patient_data", c.log.show_patient_data);
  }
  if (const json* turnaround = r.member("turnaround")) {
    read_turnaround(*turnaround, sink, c.turnaround);
  }
  read_list(root, "listeners", sink, c.listeners, read_listener);
  read_list(root, "channels", sink, c.channels, read_channel);
  check_references(c, sink);
}

}  // namespace

const ListenerConfig* Config::listener(std::string_view name) const {
  for (const auto& l : listeners) {
    if (l.name == name) {
      return &l;
    }
  }
  return nullptr;
}

std::vector<ConfigError> check_config_text(std::string_view text, const std::filesystem::path& file,
                                           Config* out) {
  const SourceMap map = SourceMap::build(text);
  ErrorSink sink(file.string(), map);
  json root;
  if (!parse_json_with_comments(text, sink, root)) {
    return sink.errors();
  }
  Config config;
  config.file = file;
  read_root(root, sink, config);
  if (out != nullptr) {
    *out = std::move(config);
  }
  return sink.errors();
}

std::vector<ConfigError> check_config(const std::filesystem::path& file, Config* out) {
  auto text = read_whole_file(file, kMaxConfigFileBytes);
  if (!text) {
    return {{file.string(), 0, 0, "cannot open the config file: " + text.error()}};
  }
  return check_config_text(*text, file, out);
}

Config load_config(const std::filesystem::path& file) {
  Config config;
  auto errors = check_config(file, &config);
  if (!errors.empty()) {
    throw ConfigErrors(std::move(errors));
  }
  return config;
}

}  // namespace hisbridge::config
