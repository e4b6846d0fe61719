#include "engine/mapping/transforms.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>

#include "engine/mapping/hl7_datetime.hpp"

namespace hisbridge::mapping {
namespace {

std::string_view trimmed(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && space(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// A decimal number as labs write it: optional sign, digits with at most one point, an optional
// exponent. `<0.5`, `1,5` and `5 mmol` are not numbers.
bool is_decimal(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    ++i;
  }
  std::size_t digits = 0;
  bool point = false;
  for (; i < s.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(s[i])) != 0) {
      ++digits;
    } else if (s[i] == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (digits == 0) {
    return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      ++i;
    }
    const std::size_t exponent_start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) {
      ++i;
    }
    if (i == exponent_start) {
      return false;
    }
  }
  return i == s.size();
}

// The outcome of a step that could not read the value: an error, or null when the step says so.
bool invalid(const Transform& step, Value& value, std::string& error, std::string reason) {
  if (step.on_invalid == Transform::OnInvalid::null) {
    value = Value::null();
    return true;
  }
  error = std::move(reason);
  return false;
}

bool to_time(const Transform& step, Value& value, const TimeZone& zone, std::string& error) {
  auto iso = step.kind == Transform::Kind::datetime ? hl7_datetime_to_iso(value.text, zone)
                                                    : hl7_date_to_iso(value.text);
  if (!iso) {
    return invalid(step, value, error,
                   "'" + value.text + "' is not an HL7 " +
                       (step.kind == Transform::Kind::datetime ? "date/time" : "date") + ": " +
                       iso.error().message());
  }
  value.text = std::move(*iso);
  return true;
}

bool to_integer(const Transform& step, Value& value, std::string& error) {
  const std::string_view s = trimmed(value.text);
  std::int64_t n = 0;
  const char* begin = s.data() + (!s.empty() && s.front() == '+' ? 1 : 0);
  const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || begin == end) {
    return invalid(step, value, error, "'" + value.text + "' is not a whole number");
  }
  // The same text as Value::of_integer, written over the old one.
  char digits[24];
  const auto written = std::to_chars(std::begin(digits), std::end(digits), n);
  value.set(Value::Type::integer,
            std::string_view(digits, static_cast<std::size_t>(written.ptr - digits)));
  return true;
}

bool to_number(const Transform& step, Value& value, std::string& error) {
  const std::string_view s = trimmed(value.text);
  if (!is_decimal(s)) {
    return invalid(step, value, error, "'" + value.text + "' is not a number");
  }
  // The text is kept as written (5.10 stays 5.10): a lab value's digits are part of it.
  if (s.size() == value.text.size()) {
    value.type = Value::Type::number;
  } else {
    value = {Value::Type::number, std::string(s)};
  }
  return true;
}

bool look_up(const Transform& step, Value& value, std::string& error) {
  if (const std::string* found = step.lookup->find(value.text, step.lookup_column)) {
    value.text = *found;
    value.type = found->empty() ? Value::Type::null : Value::Type::text;
    return true;
  }
  switch (step.missing) {
    case Transform::Missing::keep: return true;
    case Transform::Missing::null: value = Value::null(); return true;
    case Transform::Missing::error: break;
  }
  error = "'" + value.text + "' is not in lookup table " + step.text;
  return false;
}

bool split(const Transform& step, Value& value) {
  std::string_view rest = value.text;
  for (std::size_t part = 1;; ++part) {
    const std::size_t at = step.separator.empty() ? std::string_view::npos
                                                  : rest.find(step.separator);
    if (part == step.index) {
      value.text = std::string(rest.substr(0, at));
      break;
    }
    if (at == std::string_view::npos) {
      value.text.clear();
      break;
    }
    rest.remove_prefix(at + step.separator.size());
  }
  if (value.text.empty()) {
    value = Value::null();
  }
  return true;
}

void change_case(Value& value, bool upper) {
  // ASCII only: codes are ASCII, and a name's diacritics are never re-cased by a mapping.
  for (char& c : value.text) {
    const auto u = static_cast<unsigned char>(c);
    c = static_cast<char>(upper ? std::toupper(u) : std::tolower(u));
  }
}

bool map_value(const Transform& step, Value& value) {
  const auto found = step.table.find(value.text);
  if (found != step.table.end()) {
    value = found->second.empty() ? Value::null() : Value::of_text(found->second);
  } else if (step.has_otherwise) {
    value = step.otherwise.empty() ? Value::null() : Value::of_text(step.otherwise);
  }
  return true;
}

}  // namespace

std::size_t code_points(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

bool apply_transform(const Transform& step, Value& value, const TimeZone& zone,
                     std::string& error) {
  using Kind = Transform::Kind;
  if (step.kind == Kind::default_to) {
    if (value.is_null()) {
      value = step.fallback;
    }
    return true;
  }
  if (step.kind == Kind::map) {
    return map_value(step, value);
  }
  if (value.is_null()) {
    return true;
  }
  switch (step.kind) {
    case Kind::trim: {
      const std::string_view t = trimmed(value.text);
      value = t.empty() ? Value::null() : Value{value.type, std::string(t)};
      return true;
    }
    case Kind::upper: change_case(value, true); return true;
    case Kind::lower: change_case(value, false); return true;
    case Kind::lookup: return look_up(step, value, error);
    case Kind::replace:
      value.text = boost::regex_replace(value.text, *step.pattern, step.text,
                                        boost::format_perl);
      if (value.text.empty()) {
        value = Value::null();
      }
      return true;
    case Kind::split: return split(step, value);
    case Kind::datetime:
    case Kind::date: return to_time(step, value, zone, error);
    case Kind::number: return to_number(step, value, error);
    case Kind::integer: return to_integer(step, value, error);
    case Kind::max_length:
      if (const std::size_t n = code_points(value.text); n > step.limit) {
        error = "value has " + std::to_string(n) + " characters, more than the " +
                std::to_string(step.limit) + " allowed";
        return false;
      }
      return true;
    case Kind::prefix: value.text.insert(0, step.text); return true;
    case Kind::suffix: value.text += step.text; return true;
    case Kind::default_to:
    case Kind::map: break;
  }
  return true;
}

}  // namespace hisbridge::mapping
