#include "engine/mapping/mapping_loader.hpp"

#include <algorithm>

#include "engine/config/source_map.hpp"
#include "engine/core/read_whole_file.hpp"
#include "engine/mapping/define_segments.hpp"
#include "engine/mapping/load_context.hpp"

namespace hisbridge::mapping {
namespace {

using nlohmann::json;

const std::initializer_list<std::string_view> kEventKinds = {
    "registered", "ordered",   "collected", "received",  "started",
    "completed",  "preliminary", "final",   "corrected", "reported"};

// Member names of an object in the order the file lists them: nlohmann::json sorts them, and
// the order of a record's columns is the order they are computed in.
std::vector<std::string> keys_in_file_order(const LoadContext& cx, const json& object,
                                            const std::string& at) {
  std::vector<std::pair<config::Position, std::string>> keyed;
  for (const auto& [key, value] : object.items()) {
    keyed.emplace_back(cx.map.key(at + "/" + key), key);
  }
  std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.line, a.first.column) < std::tie(b.first.line, b.first.column);
  });
  std::vector<std::string> out;
  for (auto& k : keyed) {
    out.push_back(std::move(k.second));
  }
  return out;
}

void read_tables(LoadContext& cx, const json& j, const std::filesystem::path& folder) {
  if (!j.is_object()) {
    cx.sink.at_value("/tables", "'tables' takes an object: {\"name\": \"tables/file.csv\"}");
    return;
  }
  for (const auto& [name, value] : j.items()) {
    const std::string at = "/tables/" + name;
    if (!value.is_string()) {
      cx.sink.at_value(at, "expected the path of a CSV file");
      continue;
    }
    const std::filesystem::path file = folder / value.get<std::string>();
    auto table = LookupTable::load(file);
    if (!table) {
      const LookupTableError& e = table.error();
      cx.sink.at_value(at, "table '" + name + "': " + e.file +
                               (e.line > 0 ? ":" + std::to_string(e.line) + ":" +
                                                 std::to_string(e.column)
                                           : std::string()) +
                               ": " + e.message);
      continue;
    }
    cx.program.tables[name] = std::make_shared<const LookupTable>(std::move(*table));
    cx.program.files.push_back(file.string());
  }
}

EventRule read_event(LoadContext& cx, const json& j, const std::string& at) {
  EventRule er;
  er.where = at;
  std::vector<std::string_view> keys = {"kind", "time", "when"};
  for (const std::string& f : event_fields()) {
    keys.push_back(f);
  }
  if (!j.is_object()) {
    cx.sink.at_value(at, "an event is an object: {\"kind\": ..., \"time\": ...}");
    return er;
  }
  // The allowed keys include event_fields(), so they are checked here rather than by an
  // ObjectReader (which takes a fixed list).
  for (const auto& [key, value] : j.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      cx.sink.at_key(at + "/" + key, "unknown key '" + key + "' in an event (kind, time, when, " +
                                         "discipline, order_no, visit_id, patient_id, "
                                         "department, priority, service_code, modality)");
    }
  }
  if (!j.contains("kind") || !j["kind"].is_string()) {
    cx.sink.at_value(at, "an event needs a 'kind'");
  } else {
    er.kind = j["kind"].get<std::string>();
    if (std::find(kEventKinds.begin(), kEventKinds.end(), er.kind) == kEventKinds.end()) {
      std::string message = "unknown event kind '" + er.kind + "'";
      if (const std::string near = config::closest_match(er.kind, kEventKinds); !near.empty()) {
        message += " (did you mean '" + near + "'?)";
      }
      cx.sink.at_value(at + "/kind", message);
    }
  }
  if (!j.contains("time")) {
    cx.sink.at_value(at, "an event needs a 'time'");
  } else {
    er.time = read_expr(cx, j["time"], at + "/time");
  }
  if (j.contains("when")) {
    er.when = std::make_shared<const Condition>(read_condition(cx, j["when"], at + "/when"));
  }
  const auto& fields = event_fields();
  for (std::size_t f = 0; f < fields.size(); ++f) {
    if (j.contains(fields[f])) {
      er.fields.emplace_back(f, read_expr(cx, j[fields[f]], at + "/" + fields[f]));
    }
    const std::size_t column =
        cx.record_columns == nullptr
            ? std::string::npos
            : static_cast<std::size_t>(std::find(cx.record_columns->begin(),
                                                 cx.record_columns->end(), fields[f]) -
                                       cx.record_columns->begin());
    er.from_column.push_back(cx.record_columns != nullptr && column < cx.record_columns->size()
                                 ? column
                                 : std::string::npos);
  }
  return er;
}

void read_columns(LoadContext& cx, const json& j, const std::string& at, RecordRule& rule) {
  if (!j.is_object() || j.empty()) {
    cx.sink.at_value(at, "'columns' takes an object: {\"column\": value, ...}");
    return;
  }
  rule.shape->columns = keys_in_file_order(cx, j, at);
  cx.record_columns = &rule.shape->columns;
  for (std::size_t i = 0; i < rule.shape->columns.size(); ++i) {
    cx.record_columns_ready = i;
    const std::string& name = rule.shape->columns[i];
    rule.columns.push_back(read_expr(cx, j[name], at + "/" + name));
  }
  cx.record_columns_ready = rule.shape->columns.size();
}

void read_key(LoadContext& cx, const json& j, const std::string& at, RecordRule& rule) {
  const json list = j.is_string() ? json::array({j}) : j;
  if (!list.is_array() || list.empty()) {
    cx.sink.at_value(at, "'key' takes the names of the columns that identify a row");
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string name = list[i].is_string() ? list[i].get<std::string>() : std::string();
    const std::size_t index = rule.shape->index_of(name);
    if (index >= rule.shape->columns.size()) {
      cx.sink.at_value(j.is_array() ? at + "/" + std::to_string(i) : at,
                       "key column '" + name + "' is not one of this record's columns");
      continue;
    }
    rule.shape->key.push_back(index);
  }
}

RecordRule read_record(LoadContext& cx, const json& j, const std::string& at) {
  RecordRule rule;
  rule.where = at;
  rule.shape = std::make_shared<RecordShape>();
  config::ObjectReader r(j, at, cx.sink,
                         {"table", "description", "for_each", "when", "key", "columns",
                          "skip_without_key", "events"});
  if (!r.valid()) {
    return rule;
  }
  r.text("table", rule.shape->table, true);
  r.flag("skip_without_key", rule.skip_without_key);
  if (const json* each = r.member("for_each")) {
    if (cx.xml()) {
      rule.for_each_xpath = read_xpath(cx, *each, r.pointer("for_each"));
    } else {
      rule.for_each = read_for_each(cx, *each, r.pointer("for_each"));
    }
  }
  if (const json* columns = r.member("columns")) {
    read_columns(cx, *columns, r.pointer("columns"), rule);
  } else {
    cx.sink.at_value(at, "a record needs 'columns'");
  }
  if (const json* when = r.member("when")) {
    rule.when = std::make_shared<const Condition>(read_condition(cx, *when, r.pointer("when")));
  }
  if (const json* key = r.member("key")) {
    read_key(cx, *key, r.pointer("key"), rule);
  } else {
    cx.sink.at_value(at, "a record needs a 'key': the columns an upsert finds its row by");
  }
  if (const json* events = r.member("events")) {
    if (!events->is_array()) {
      cx.sink.at_value(r.pointer("events"), "'events' takes a list");
    } else {
      for (std::size_t i = 0; i < events->size(); ++i) {
        rule.events.push_back(read_event(cx, (*events)[i], r.pointer("events") + "/" +
                                                               std::to_string(i)));
      }
    }
  }
  cx.record_columns = nullptr;
  return rule;
}

}  // namespace

namespace {

// Every `use` an expression makes, directly or inside its parts and conditions.
void uses_of(const Expr& e, std::vector<std::size_t>& out);

void uses_of(const Condition& c, std::vector<std::size_t>& out) {
  uses_of(c.value, out);
  for (const Condition& child : c.children) {
    uses_of(child, out);
  }
}

void uses_of(const Expr& e, std::vector<std::size_t>& out) {
  if (e.kind == Expr::Kind::use) {
    out.push_back(e.define);
  }
  for (const Expr& part : e.parts) {
    uses_of(part, out);
  }
  if (e.condition) {
    uses_of(*e.condition, out);
  }
}

// A definition that uses itself, through others or directly, would never finish.
void check_define_loops(LoadContext& cx) {
  const auto& defines = cx.program.defines;
  std::vector<std::vector<std::size_t>> edges(defines.size());
  for (std::size_t i = 0; i < defines.size(); ++i) {
    uses_of(defines[i].value, edges[i]);
  }
  for (std::size_t start = 0; start < defines.size(); ++start) {
    std::vector<std::size_t> stack = edges[start];
    std::vector<bool> seen(defines.size(), false);
    while (!stack.empty()) {
      const std::size_t d = stack.back();
      stack.pop_back();
      if (d == start) {
        cx.sink.at_value("/define/" + defines[start].name,
                         "definition '" + defines[start].name + "' uses itself");
        break;
      }
      if (d < seen.size() && !seen[d]) {
        seen[d] = true;
        stack.insert(stack.end(), edges[d].begin(), edges[d].end());
      }
    }
  }
}

void read_defines(LoadContext& cx, const json& j) {
  if (!j.is_object()) {
    cx.sink.at_value("/define", "'define' takes an object: {\"name\": value, ...}");
    return;
  }
  for (const auto& [name, value] : j.items()) {
    cx.define_names.push_back(name);
  }
  for (const auto& [name, value] : j.items()) {
    cx.program.defines.push_back({name, read_expr(cx, value, "/define/" + name), false, {}});
  }
  check_define_loops(cx);
}

void read_input(LoadContext& cx, config::ObjectReader& r) {
  std::string input = "hl7";
  r.text("input", input);
  if (input == "xml") {
    cx.program.input = Program::Input::xml;
  } else if (input != "hl7") {
    cx.sink.at_value("/input", "'input' is hl7 (ER7 or HL7 v2.xml) or xml (any other XML)");
  }
}

void read_zone(LoadContext& cx, config::ObjectReader& r, const MappingLoadOptions& options) {
  std::string zone = options.timezone;
  r.text("timezone", zone);
  auto loaded = TimeZone::load(zone);
  if (!loaded) {
    cx.sink.at_value(r.has("timezone") ? "/timezone" : "", "time zone '" + zone + "': " +
                                                                loaded.error().message());
    loaded = TimeZone::load("UTC");
  }
  cx.program.zone = std::make_shared<const TimeZone>(std::move(*loaded));
}

void read_root(LoadContext& cx, const json& root, const std::filesystem::path& file,
               const MappingLoadOptions& options) {
  config::ObjectReader r(root, "", cx.sink,
                         {"mapping", "description", "input", "discipline", "timezone",
                          "messages", "tables", "define", "records"});
  if (!r.valid()) {
    return;
  }
  cx.program.name = file.stem().string();
  r.text("mapping", cx.program.name);
  r.text("discipline", cx.program.discipline);
  r.texts("messages", cx.program.messages);
  read_input(cx, r);
  read_zone(cx, r, options);
  if (const json* tables = r.member("tables")) {
    read_tables(cx, *tables, file.parent_path());
  }
  if (const json* defines = r.member("define")) {
    read_defines(cx, *defines);
  }
  const json* records = r.member("records");
  if (records == nullptr || !records->is_array() || records->empty()) {
    cx.sink.at_value(records == nullptr ? "" : "/records",
                     "a mapping needs 'records': a list of the rows it makes");
    return;
  }
  for (std::size_t i = 0; i < records->size(); ++i) {
    cx.program.records.push_back(read_record(cx, (*records)[i], "/records/" + std::to_string(i)));
  }
}

}  // namespace

Result<std::shared_ptr<const Program>, MappingErrors> load_mapping_text(
    std::string_view text, const std::filesystem::path& file, const MappingLoadOptions& options) {
  const config::SourceMap map = config::SourceMap::build(text);
  config::ErrorSink sink(file.string(), map);
  json root;
  if (!config::parse_json_with_comments(text, sink, root)) {
    return sink.errors();
  }
  auto program = std::make_shared<Program>();
  program->file = file.string();
  program->files.push_back(file.string());
  LoadContext cx{*program, sink, map, nullptr, 0, {}};
  read_root(cx, root, file, options);
  if (!sink.errors().empty()) {
    return sink.errors();
  }
  analyse_defines(*program);
  return std::shared_ptr<const Program>(std::move(program));
}

Result<std::shared_ptr<const Program>, MappingErrors> load_mapping(
    const std::filesystem::path& file, const MappingLoadOptions& options) {
  // Hand-written: a few hundred lines. A bound, so that a wrong path (a log, a device) is
  // refused instead of read.
  constexpr std::size_t kMaxMappingBytes = std::size_t{16} << 20;
  auto text = read_whole_file(file, kMaxMappingBytes);
  if (!text) {
    return MappingErrors{{file.string(), 0, 0, "cannot open the mapping file: " + text.error()}};
  }
  return load_mapping_text(*text, file, options);
}

const std::vector<std::string>& event_fields() {
  static const std::vector<std::string> kFields = {
      "discipline", "order_no", "visit_id", "patient_id", "department",
      "priority",   "service_code", "modality"};
  return kFields;
}

std::string_view* event_field(ClinicalEvent& event, std::size_t index) {
  return event_field_slots(event)[index];
}

}  // namespace hisbridge::mapping
