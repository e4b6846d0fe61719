// Reads the expression language of mapping files: values, conditions and transforms
// (docs/mapping-guide.md, "Reference").
#include <charconv>

#include "engine/mapping/field_reader.hpp"
#include "engine/mapping/hl7_catalog.hpp"
#include "engine/mapping/load_context.hpp"

namespace hisbridge::mapping {
namespace {

using nlohmann::json;

const std::initializer_list<std::string_view> kValueKeys = {
    "path", "xpath", "const", "coalesce", "concat", "collect", "when", "column", "use",
    "where", "get", "separator", "transform", "then", "else"};
const std::initializer_list<std::string_view> kSources = {
    "path", "xpath", "const", "coalesce", "concat", "collect", "when", "column", "use"};

std::string join(std::initializer_list<std::string_view> words) {
  std::string out;
  for (std::string_view w : words) {
    out += out.empty() ? "" : ", ";
    out += w;
  }
  return out;
}

std::string member_at(const std::string& at, std::string_view key) {
  return at + "/" + std::string(key);
}

// A JSON string, or an error and an empty text.
std::string text_of(LoadContext& cx, const json& j, const std::string& at) {
  if (!j.is_string()) {
    cx.sink.at_value(at, std::string("expected a text, found ") + j.type_name());
    return {};
  }
  return j.get<std::string>();
}

std::vector<std::string> texts_of(LoadContext& cx, const json& j, const std::string& at) {
  std::vector<std::string> out;
  if (j.is_string()) {
    out.push_back(j.get<std::string>());
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) {
      out.push_back(text_of(cx, j[i], at + "/" + std::to_string(i)));
    }
  } else {
    cx.sink.at_value(at, std::string("expected a text or a list of texts, found ") +
                             j.type_name());
  }
  return out;
}

std::size_t count_of(LoadContext& cx, const json& j, const std::string& at, std::size_t min) {
  if (!j.is_number_integer() || j.get<std::int64_t>() < static_cast<std::int64_t>(min)) {
    cx.sink.at_value(at, "expected a whole number of at least " + std::to_string(min));
    return min;
  }
  return j.get<std::size_t>();
}

hl7::Path path_of(LoadContext& cx, const std::string& text, const std::string& at) {
  auto path = hl7::Path::parse(text);
  if (!path) {
    cx.sink.at_value(at, "'" + text + "' is not an HL7 path (" + path.error().message() +
                             "); write it like PID-5.1 or OBX-3.2, or {\"const\": \"" + text +
                             "\"} for a fixed text");
    return {};
  }
  if (path->field == 0) {
    cx.sink.at_value(at, "'" + text + "' names a whole segment; a value needs a field, e.g. " +
                             text + "-1");
    return *path;
  }
  const std::size_t max = max_fields(path->segment);
  if (max == 0 && !is_site_segment(path->segment)) {
    std::string message = "unknown segment '" + path->segment + "' in '" + text + "'";
    if (const std::string near = closest_segment(path->segment); !near.empty()) {
      message += " (did you mean '" + near + "'?)";
    }
    cx.sink.at_value(at, message);
  } else if (max != 0 && path->field > max) {
    cx.sink.at_value(at, "'" + text + "': " + path->segment + " has " + std::to_string(max) +
                             " fields at most (HL7 v2.3 to v2.8)");
  }
  return *path;
}

void read_where(LoadContext& cx, const json& j, const std::string& at, Expr& e) {
  config::ObjectReader r(j, at, cx.sink, {"component", "in", "equals"});
  if (!r.valid()) {
    return;
  }
  e.has_filter = true;
  if (const json* c = r.member("component")) {
    e.filter.component = count_of(cx, *c, r.pointer("component"), 1);
  } else {
    cx.sink.at_value(at, "'where' needs a 'component' number (e.g. 5 for CX-5)");
  }
  const json* in = r.member("in") != nullptr ? r.member("in") : r.member("equals");
  if (in == nullptr) {
    cx.sink.at_value(at, "'where' needs 'in' (a list of values) or 'equals'");
    return;
  }
  e.filter.values = texts_of(cx, *in, r.pointer(r.has("in") ? "in" : "equals"));
}

void read_get(LoadContext& cx, const json& j, const std::string& at, Expr& e) {
  const std::string text = j.is_number_integer() ? std::to_string(j.get<std::int64_t>())
                                                 : text_of(cx, j, at);
  std::size_t numbers[2] = {0, 0};
  std::size_t n = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  while (p < end && n < 2) {
    const auto [next, ec] = std::from_chars(p, end, numbers[n]);
    if (ec != std::errc() || numbers[n] == 0) {
      break;
    }
    ++n;
    p = next;
    if (p < end && *p == '.') {
      ++p;
    }
  }
  if (n == 0 || p != end) {
    cx.sink.at_value(at, "'get' takes a component, or component.sub-component: \"1\" or \"1.2\"");
    return;
  }
  e.get_component = numbers[0];
  e.get_subcomponent = numbers[1];
}

const char* source_key(const json& j) {
  for (std::string_view key : kSources) {
    if (j.contains(key)) {
      return key.data();
    }
  }
  return nullptr;
}

void read_parts(LoadContext& cx, const json& j, const std::string& at, Expr& e) {
  if (!j.is_array() || j.empty()) {
    cx.sink.at_value(at, "expected a list of values");
    return;
  }
  for (std::size_t i = 0; i < j.size(); ++i) {
    e.parts.push_back(read_expr(cx, j[i], at + "/" + std::to_string(i)));
  }
}

void read_collect(LoadContext& cx, const json& j, const std::string& at, Expr& e) {
  config::ObjectReader r(j, at, cx.sink, {"for_each", "when", "value"});
  if (!r.valid()) {
    return;
  }
  if (const json* each = r.member("for_each")) {
    if (cx.xml()) {
      e.for_each_xpath = read_xpath(cx, *each, r.pointer("for_each"));
    } else {
      e.for_each = read_for_each(cx, *each, r.pointer("for_each"));
    }
  } else {
    cx.sink.at_value(at, "'collect' needs 'for_each'");
  }
  if (const json* when = r.member("when")) {
    e.condition = std::make_shared<const Condition>(read_condition(cx, *when, r.pointer("when")));
  }
  if (const json* value = r.member("value")) {
    e.parts.push_back(read_expr(cx, *value, r.pointer("value")));
  } else {
    cx.sink.at_value(at, "'collect' needs 'value'");
    e.parts.emplace_back();
  }
}

void read_column_ref(LoadContext& cx, const json& j, const std::string& at, Expr& e) {
  const std::string name = text_of(cx, j, at);
  if (cx.record_columns == nullptr) {
    cx.sink.at_value(at, "'column' can only be used inside a record's columns or events");
    return;
  }
  const auto& cols = *cx.record_columns;
  const std::size_t i = static_cast<std::size_t>(
      std::find(cols.begin(), cols.end(), name) - cols.begin());
  if (i >= cx.record_columns_ready) {
    cx.sink.at_value(at, i < cols.size()
                             ? "column '" + name + "' comes later in this record; a column "
                                   "can only use the columns listed before it"
                             : "this record has no column '" + name + "'");
    return;
  }
  e.column = i;
}

void read_use(LoadContext& cx, const json& j, const std::string& at, Expr& e) {
  const std::string name = text_of(cx, j, at);
  const auto& names = cx.define_names;
  const auto found = std::find(names.begin(), names.end(), name);
  if (found == names.end()) {
    cx.sink.at_value(at, "no definition named '" + name + "' in 'define'");
    return;
  }
  e.define = static_cast<std::size_t>(found - names.begin());
}

void read_source(LoadContext& cx, const json& j, const std::string& at, std::string_view key,
                 Expr& e) {
  const std::string here = member_at(at, key);
  const json& v = j.at(std::string(key));
  if (key == "path") {
    e.kind = Expr::Kind::hl7_path;
    e.path = path_of(cx, text_of(cx, v, here), here);
    e.segment_key = segment_key(e.path.segment);
  } else if (key == "xpath") {
    e.kind = Expr::Kind::xpath;
    e.xpath = read_xpath(cx, v, here);
  } else if (key == "const") {
    e.kind = Expr::Kind::constant;
    if (v.is_string()) {
      e.constant = Literal::of_text(v.get<std::string>());
    } else if (v.is_number_integer()) {
      e.constant = Literal::of_integer(v.get<std::int64_t>());
    } else if (v.is_number()) {
      e.constant = {Value::Type::number, v.dump()};
    } else if (!v.is_null()) {
      cx.sink.at_value(here, "a constant is a text, a number or null");
    }
  } else if (key == "coalesce" || key == "concat") {
    e.kind = key == "coalesce" ? Expr::Kind::coalesce : Expr::Kind::concat;
    read_parts(cx, v, here, e);
  } else if (key == "collect") {
    e.kind = Expr::Kind::collect;
    read_collect(cx, v, here, e);
  } else if (key == "when") {
    e.kind = Expr::Kind::when;
    e.condition = std::make_shared<const Condition>(read_condition(cx, v, here));
    for (const char* branch : {"then", "else"}) {
      e.parts.push_back(j.contains(branch) ? read_expr(cx, j[branch], member_at(at, branch))
                                           : Expr{});
    }
    if (!j.contains("then")) {
      cx.sink.at_value(at, "'when' needs 'then' (and may have 'else')");
    }
  } else if (key == "column") {
    e.kind = Expr::Kind::column;
    read_column_ref(cx, v, here, e);
  } else {
    e.kind = Expr::Kind::use;
    read_use(cx, v, here, e);
  }
}

// Keys that only some sources take.
void check_modifiers(LoadContext& cx, const json& j, const std::string& at, std::string_view key) {
  const auto only = [&](std::string_view modifier, std::initializer_list<std::string_view> with) {
    if (j.contains(modifier) && std::find(with.begin(), with.end(), key) == with.end()) {
      cx.sink.at_key(member_at(at, modifier),
                     "'" + std::string(modifier) + "' goes with " + join(with) + ", not '" +
                         std::string(key) + "'");
    }
  };
  only("where", {"path"});
  only("get", {"path"});
  only("separator", {"concat", "collect"});
  only("then", {"when"});
  only("else", {"when"});
}

}  // namespace

Expr read_expr(LoadContext& cx, const json& j, const std::string& at) {
  Expr e;
  e.where = at;
  if (j.is_string()) {
    // The short form: a path (or an XPath for XML input).
    const std::string text = j.get<std::string>();
    e.kind = cx.xml() ? Expr::Kind::xpath : Expr::Kind::hl7_path;
    if (cx.xml()) {
      e.xpath = read_xpath(cx, j, at);
    } else {
      e.path = path_of(cx, text, at);
      e.segment_key = segment_key(e.path.segment);
      set_raw_read(e);
    }
    return e;
  }
  if (j.is_number() || j.is_null()) {
    return read_expr(cx, json{{"const", j}}, at);
  }
  config::ObjectReader r(j, at, cx.sink, kValueKeys);
  if (!r.valid()) {
    return e;
  }
  std::size_t sources = 0;
  for (std::string_view key : kSources) {
    sources += j.contains(key) ? 1U : 0U;
  }
  const char* key = source_key(j);
  if (sources != 1 || key == nullptr) {
    cx.sink.at_value(at, "a value needs exactly one of: " + join(kSources));
    return e;
  }
  read_source(cx, j, at, key, e);
  check_modifiers(cx, j, at, key);
  if (const json* where = r.member("where")) {
    read_where(cx, *where, r.pointer("where"), e);
  }
  if (const json* get = r.member("get")) {
    if (!e.has_filter) {
      cx.sink.at_key(r.pointer("get"), "'get' reads inside the repetition 'where' picked; "
                                       "without 'where' write the component in the path");
    }
    read_get(cx, *get, r.pointer("get"), e);
  }
  e.separator = (e.kind == Expr::Kind::collect) ? "\n" : "";
  if (const json* sep = r.member("separator")) {
    e.separator = text_of(cx, *sep, r.pointer("separator"));
  }
  if (const json* steps = r.member("transform")) {
    e.transforms = read_transforms(cx, *steps, r.pointer("transform"));
  }
  if (e.kind == Expr::Kind::hl7_path) {
    set_raw_read(e);  // the path and its filter are known now
  }
  return e;
}

std::shared_ptr<const boost::regex> read_regex(LoadContext& cx, const json& j,
                                               const std::string& at) {
  const std::string text = text_of(cx, j, at);
  try {
    return std::make_shared<const boost::regex>(text, boost::regex::perl);
  } catch (const boost::regex_error& e) {
    cx.sink.at_value(at, "invalid regular expression '" + text + "': " + e.what());
    return std::make_shared<const boost::regex>("$^");
  }
}

std::shared_ptr<const pugi::xpath_query> read_xpath(LoadContext& cx, const json& j,
                                                    const std::string& at) {
  const std::string text = text_of(cx, j, at);
  try {
    auto query = std::make_shared<const pugi::xpath_query>(text.c_str());
    if (*query) {
      return query;
    }
    cx.sink.at_value(at, "invalid XPath '" + text + "': " + query->result().description());
  } catch (const pugi::xpath_exception& e) {
    cx.sink.at_value(at, "invalid XPath '" + text + "': " + e.what());
  } catch (const std::bad_alloc&) {
    cx.sink.at_value(at, "invalid XPath '" + text + "'");
  }
  return nullptr;
}

std::vector<GroupLevel> read_for_each(LoadContext& cx, const json& j, const std::string& at) {
  std::vector<GroupLevel> levels;
  const std::vector<std::string> texts = texts_of(cx, j, at);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::string here = j.is_array() ? at + "/" + std::to_string(i) : at;
    GroupLevel level;
    std::string_view rest = texts[i];
    for (;;) {
      const std::size_t plus = rest.find('+');
      const std::string id(rest.substr(0, plus));
      if (id.size() != 3 || (max_fields(id) == 0 && !is_site_segment(id))) {
        cx.sink.at_value(here, "'" + id + "' is not a segment id (for_each takes \"OBX\", or "
                               "\"ORC+OBR\" to count an ORC just before its OBR in the group)");
      }
      if (plus == std::string_view::npos) {
        level.head = id;
        level.head_key = segment_key(id);
        break;
      }
      level.leading.push_back(id);
      level.leading_keys.push_back(segment_key(id));
      rest.remove_prefix(plus + 1);
    }
    levels.push_back(std::move(level));
  }
  if (levels.empty()) {
    cx.sink.at_value(at, "for_each needs a segment id");
  }
  return levels;
}

}  // namespace hisbridge::mapping
