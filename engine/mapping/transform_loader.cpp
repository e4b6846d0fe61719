// Reads a value's `transform` list.
#include "engine/mapping/load_context.hpp"

namespace hisbridge::mapping {
namespace {

using nlohmann::json;
using Kind = Transform::Kind;

struct Named {
  std::string_view name;
  Kind kind;
  Transform::OnInvalid on_invalid;
};

// Steps written as a bare name.
constexpr Named kNamed[] = {
    {"trim", Kind::trim, Transform::OnInvalid::error},
    {"upper", Kind::upper, Transform::OnInvalid::error},
    {"lower", Kind::lower, Transform::OnInvalid::error},
    {"datetime", Kind::datetime, Transform::OnInvalid::error},
    {"datetime_or_null", Kind::datetime, Transform::OnInvalid::null},
    {"date", Kind::date, Transform::OnInvalid::error},
    {"date_or_null", Kind::date, Transform::OnInvalid::null},
    {"number", Kind::number, Transform::OnInvalid::error},
    {"number_or_null", Kind::number, Transform::OnInvalid::null},
    {"integer", Kind::integer, Transform::OnInvalid::error},
    {"integer_or_null", Kind::integer, Transform::OnInvalid::null},
};

const std::initializer_list<std::string_view> kAllNames = {
    "trim", "upper", "lower", "datetime", "datetime_or_null", "date", "date_or_null",
    "number", "number_or_null", "integer", "integer_or_null", "default", "map", "lookup",
    "replace", "split", "max_length", "prefix", "suffix"};

std::string text(LoadContext& cx, const json* j, const std::string& at) {
  if (j == nullptr || !j->is_string()) {
    cx.sink.at_value(at, "expected a text");
    return {};
  }
  return j->get<std::string>();
}

bool read_named(LoadContext& cx, const std::string& name, const std::string& at, Transform& t) {
  for (const Named& n : kNamed) {
    if (n.name == name) {
      t.kind = n.kind;
      t.on_invalid = n.on_invalid;
      return true;
    }
  }
  std::string message = "unknown transform '" + name + "'";
  if (const std::string near = config::closest_match(name, kAllNames); !near.empty()) {
    message += " (did you mean '" + near + "'?)";
  }
  cx.sink.at_value(at, message);
  return false;
}

void read_map(LoadContext& cx, const config::ObjectReader& r, Transform& t) {
  const json* table = r.member("map");
  if (!table->is_object()) {
    cx.sink.at_value(r.pointer("map"), "'map' takes an object: {\"from\": \"to\", ...}");
    return;
  }
  for (const auto& [from, to] : table->items()) {
    t.table[from] = text(cx, &to, r.pointer("map") + "/" + from);
  }
  if (const json* otherwise = r.member("otherwise")) {
    t.has_otherwise = true;
    t.otherwise = otherwise->is_null() ? std::string() : text(cx, otherwise, r.pointer("otherwise"));
  }
}

void read_lookup(LoadContext& cx, const config::ObjectReader& r, Transform& t) {
  t.text = text(cx, r.member("lookup"), r.pointer("lookup"));
  const auto table = cx.program.tables.find(t.text);
  if (table == cx.program.tables.end()) {
    cx.sink.at_value(r.pointer("lookup"), "no table named '" + t.text + "' in 'tables'");
    return;
  }
  t.lookup = table->second.get();
  t.lookup_column = text(cx, r.member("column"), r.has("column") ? r.pointer("column")
                                                                   : r.pointer("lookup"));
  if (!t.lookup_column.empty() && !t.lookup->has_column(t.lookup_column)) {
    cx.sink.at_value(r.pointer("column"),
                     "table '" + t.text + "' has no column '" + t.lookup_column + "'");
  }
  if (const json* missing = r.member("missing")) {
    const std::string m = text(cx, missing, r.pointer("missing"));
    if (m == "keep") {
      t.missing = Transform::Missing::keep;
    } else if (m == "null") {
      t.missing = Transform::Missing::null;
    } else if (m != "error") {
      cx.sink.at_value(r.pointer("missing"), "'missing' is error, keep or null");
    }
  }
}

void read_object(LoadContext& cx, const json& j, const std::string& at, Transform& t) {
  config::ObjectReader r(j, at, cx.sink,
                         {"default", "map", "otherwise", "lookup", "column", "missing",
                          "replace", "with", "split", "index", "max_length", "prefix",
                          "suffix"});
  if (!r.valid()) {
    return;
  }
  if (const json* d = r.member("default")) {
    t.kind = Kind::default_to;
    t.fallback = d->is_number_integer() ? Literal::of_integer(d->get<std::int64_t>())
                                        : Literal::of_text(text(cx, d, r.pointer("default")));
  } else if (r.has("map")) {
    t.kind = Kind::map;
    read_map(cx, r, t);
  } else if (r.has("lookup")) {
    t.kind = Kind::lookup;
    read_lookup(cx, r, t);
  } else if (const json* re = r.member("replace")) {
    t.kind = Kind::replace;
    t.text = r.has("with") ? text(cx, r.member("with"), r.pointer("with")) : std::string();
    t.pattern = read_regex(cx, *re, r.pointer("replace"));
  } else if (const json* sep = r.member("split")) {
    t.kind = Kind::split;
    t.separator = text(cx, sep, r.pointer("split"));
    if (const json* index = r.member("index")) {
      if (!index->is_number_integer() || index->get<std::int64_t>() < 1) {
        cx.sink.at_value(r.pointer("index"), "'index' is the part to keep, counted from 1");
      } else {
        t.index = index->get<std::size_t>();
      }
    }
  } else if (const json* limit = r.member("max_length")) {
    t.kind = Kind::max_length;
    if (!limit->is_number_integer() || limit->get<std::int64_t>() < 1) {
      cx.sink.at_value(r.pointer("max_length"), "'max_length' takes a number of characters");
    } else {
      t.limit = limit->get<std::size_t>();
    }
  } else if (const json* prefix = r.member("prefix")) {
    t.kind = Kind::prefix;
    t.text = text(cx, prefix, r.pointer("prefix"));
  } else if (const json* suffix = r.member("suffix")) {
    t.kind = Kind::suffix;
    t.text = text(cx, suffix, r.pointer("suffix"));
  } else {
    cx.sink.at_value(at, "a transform object needs one of: default, map, lookup, replace, "
                         "split, max_length, prefix, suffix");
  }
}

}  // namespace

std::vector<Transform> read_transforms(LoadContext& cx, const json& j, const std::string& at) {
  std::vector<Transform> steps;
  const json list = j.is_array() ? j : json::array({j});
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string here = j.is_array() ? at + "/" + std::to_string(i) : at;
    Transform t;
    t.where = here;
    if (list[i].is_string()) {
      if (!read_named(cx, list[i].get<std::string>(), here, t)) {
        continue;
      }
    } else {
      read_object(cx, list[i], here, t);
    }
    if (t.kind == Kind::replace && !t.pattern) {
      continue;
    }
    if (t.kind == Kind::lookup && t.lookup == nullptr) {
      continue;
    }
    steps.push_back(std::move(t));
  }
  return steps;
}

}  // namespace hisbridge::mapping
