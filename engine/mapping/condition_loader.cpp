// Reads conditions of mapping files: a rule's `when`, a conditional value, a collect's filter.
#include "engine/mapping/load_context.hpp"

namespace hisbridge::mapping {
namespace {

using nlohmann::json;

const std::initializer_list<std::string_view> kConditionKeys = {
    "message_type", "exists", "empty", "all", "any", "not",
    "value", "equals", "in", "ends_with", "starts_with", "matches"};
const std::initializer_list<std::string_view> kTests = {"equals", "in", "ends_with",
                                                            "starts_with", "matches"};

std::vector<std::string> texts(LoadContext& cx, const json& j, const std::string& at) {
  std::vector<std::string> out;
  const auto one = [&](const json& v, const std::string& where) {
    if (v.is_string()) {
      out.push_back(v.get<std::string>());
    } else if (v.is_number_integer()) {
      out.push_back(std::to_string(v.get<std::int64_t>()));
    } else {
      cx.sink.at_value(where, std::string("expected a text, found ") + v.type_name());
    }
  };
  if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) {
      one(j[i], at + "/" + std::to_string(i));
    }
  } else {
    one(j, at);
  }
  return out;
}

void read_children(LoadContext& cx, const json& j, const std::string& at, Condition& c) {
  if (!j.is_array() || j.empty()) {
    cx.sink.at_value(at, "expected a list of conditions");
    return;
  }
  for (std::size_t i = 0; i < j.size(); ++i) {
    c.children.push_back(read_condition(cx, j[i], at + "/" + std::to_string(i)));
  }
}

void read_test(LoadContext& cx, const json& j, const std::string& at, Condition& c) {
  std::size_t tests = 0;
  std::string_view test;
  for (std::string_view t : kTests) {
    if (j.contains(t)) {
      ++tests;
      test = t;
    }
  }
  if (tests != 1) {
    cx.sink.at_value(at, "a condition on a 'value' needs exactly one of: equals, in, "
                         "ends_with, starts_with, matches");
    return;
  }
  const std::string here = at + "/" + std::string(test);
  c.value = read_expr(cx, j["value"], at + "/value");
  const json& arg = j[std::string(test)];
  if (test == "matches") {
    c.kind = Condition::Kind::matches;
    c.pattern = read_regex(cx, arg, here);
    return;
  }
  c.kind = test == "equals"        ? Condition::Kind::equals
           : test == "in"          ? Condition::Kind::in
           : test == "ends_with"   ? Condition::Kind::ends_with
                                   : Condition::Kind::starts_with;
  if (test == "equals" && arg.is_array()) {
    cx.sink.at_value(here, "'equals' takes one text; for several write 'in'");
  }
  c.texts = texts(cx, arg, here);
}

}  // namespace

Condition read_condition(LoadContext& cx, const json& j, const std::string& at) {
  Condition c;
  c.where = at;
  config::ObjectReader r(j, at, cx.sink, kConditionKeys);
  if (!r.valid()) {
    return c;
  }
  if (const json* types = r.member("message_type")) {
    c.kind = Condition::Kind::message_type;
    c.texts = texts(cx, *types, r.pointer("message_type"));
  } else if (const json* v = r.member("exists")) {
    c.kind = Condition::Kind::exists;
    c.value = read_expr(cx, *v, r.pointer("exists"));
  } else if (const json* e = r.member("empty")) {
    c.kind = Condition::Kind::empty;
    c.value = read_expr(cx, *e, r.pointer("empty"));
  } else if (const json* all = r.member("all")) {
    c.kind = Condition::Kind::all;
    read_children(cx, *all, r.pointer("all"), c);
  } else if (const json* any = r.member("any")) {
    c.kind = Condition::Kind::any;
    read_children(cx, *any, r.pointer("any"), c);
  } else if (const json* n = r.member("not")) {
    c.kind = Condition::Kind::negate;
    c.children.push_back(read_condition(cx, *n, r.pointer("not")));
  } else if (r.has("value")) {
    read_test(cx, j, at, c);
  } else {
    cx.sink.at_value(at, "a condition needs one of: message_type, exists, empty, all, any, "
                         "not, or 'value' with equals / in / ends_with / starts_with / matches");
  }
  return c;
}

}  // namespace hisbridge::mapping
