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
    value.set_null();
    return true;
  }
  error = std::move(reason);
  return false;
}

bool to_time(const Transform& step, Value& value, const TimeZone& zone, TextStore& store,
             std::string& error) {
  if (step.kind == Transform::Kind::date) {
    char common[kCommonIsoMax];
    if (const std::size_t n = common_date_to_iso(value.text, common); n != 0) {
      value.text = store.keep(std::string_view(common, n));
      return true;
    }
  }
  auto iso = step.kind == Transform::Kind::datetime ? hl7_datetime_to_iso(value.text, zone)
                                                    : hl7_date_to_iso(value.text);
  if (!iso) {
    return invalid(step, value, error,
                   "'" + std::string(value.text) + "' is not an HL7 " +
                       (step.kind == Transform::Kind::datetime ? "date/time" : "date") + ": " +
                       iso.error().message());
  }
  value.text = store.keep(*iso);
  return true;
}

bool to_integer(const Transform& step, Value& value, TextStore& store, std::string& error) {
  const std::string_view s = trimmed(value.text);
  std::int64_t n = 0;
  const char* begin = s.data() + (!s.empty() && s.front() == '+' ? 1 : 0);
  const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || begin == end) {
    return invalid(step, value, error, "'" + std::string(value.text) + "' is not a whole number");
  }
  // The canonical text (no sign, no leading zeros): mostly the text as written, kept as it is.
  char digits[24];
  const auto written = std::to_chars(std::begin(digits), std::end(digits), n);
  const std::string_view canonical(digits, static_cast<std::size_t>(written.ptr - digits));
  value.set(Value::Type::integer, canonical == value.text ? value.text : store.keep(canonical));
  return true;
}

bool to_number(const Transform& step, Value& value, std::string& error) {
  const std::string_view s = trimmed(value.text);
  if (!is_decimal(s)) {
    return invalid(step, value, error, "'" + std::string(value.text) + "' is not a number");
  }
  // The text is kept as written (5.10 stays 5.10): a lab value's digits are part of it.
  value.set(Value::Type::number, s);
  return true;
}

// A text of the mapping's (a table's cell, a `map` value) as a value of the output: viewed
// where the program holds it (MappingOutput::program keeps the program alive).
void set_program_text(Value& value, std::string_view text) {
  if (text.empty()) {
    value.set_null();
  } else {
    value.set(Value::Type::text, text);
  }
}

bool look_up(const Transform& step, Value& value, std::string& error) {
  if (const std::string* found = step.lookup->find(value.text, step.lookup_column)) {
    set_program_text(value, *found);
    return true;
  }
  switch (step.missing) {
    case Transform::Missing::keep: return true;
    case Transform::Missing::null: value.set_null(); return true;
    case Transform::Missing::error: break;
  }
  error = "'" + std::string(value.text) + "' is not in lookup table " + step.text;
  return false;
}

bool split(const Transform& step, Value& value) {
  std::string_view rest = value.text;
  for (std::size_t part = 1;; ++part) {
    const std::size_t at = step.separator.empty() ? std::string_view::npos
                                                  : rest.find(step.separator);
    if (part == step.index) {
      value.text = rest.substr(0, at);
      break;
    }
    if (at == std::string_view::npos) {
      value.text = {};
      break;
    }
    rest.remove_prefix(at + step.separator.size());
  }
  if (value.text.empty()) {
    value.set_null();
  }
  return true;
}

void change_case(Value& value, bool upper, TextStore& store) {
  // ASCII only: codes are ASCII, and a name's diacritics are never re-cased by a mapping.
  char* const out = store.room(value.text.size());
  for (std::size_t i = 0; i < value.text.size(); ++i) {
    const auto u = static_cast<unsigned char>(value.text[i]);
    out[i] = static_cast<char>(upper ? std::toupper(u) : std::tolower(u));
  }
  value.text = std::string_view(out, value.text.size());
}

bool map_value(const Transform& step, Value& value) {
  const auto found = step.table.find(value.text);
  if (found != step.table.end()) {
    set_program_text(value, found->second);
  } else if (step.has_otherwise) {
    set_program_text(value, step.otherwise);
  }
  return true;
}

// `before`, the value's text and `after`, kept as one text.
void surround(Value& value, std::string_view before, std::string_view after, TextStore& store) {
  const std::size_t n = before.size() + value.text.size() + after.size();
  char* const out = store.room(n);
  // std::copy, not memcpy: an empty part may have no bytes at all (a null data()).
  char* at = std::copy(before.begin(), before.end(), out);
  at = std::copy(value.text.begin(), value.text.end(), at);
  std::copy(after.begin(), after.end(), at);
  value.text = std::string_view(out, n);
}

}  // namespace

std::size_t code_points(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

bool apply_transform(const Transform& step, Value& value, const TimeZone& zone,
                     TextStore& store, std::string& error) {
  using Kind = Transform::Kind;
  if (step.kind == Kind::default_to) {
    if (value.is_null()) {
      value.set(step.fallback.type, step.fallback.text);
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
      if (t.empty()) {
        value.set_null();
      } else {
        value.text = t;
      }
      return true;
    }
    case Kind::upper: change_case(value, true, store); return true;
    case Kind::lower: change_case(value, false, store); return true;
    case Kind::lookup: return look_up(step, value, error);
    case Kind::replace: {
      const std::string replaced =
          boost::regex_replace(std::string(value.text), *step.pattern, step.text,
                               boost::format_perl);
      if (replaced.empty()) {
        value.set_null();
      } else {
        value.text = store.keep(replaced);
      }
      return true;
    }
    case Kind::split: return split(step, value);
    case Kind::datetime:
    case Kind::date: return to_time(step, value, zone, store, error);
    case Kind::number: return to_number(step, value, error);
    case Kind::integer: return to_integer(step, value, store, error);
    case Kind::max_length:
      if (const std::size_t n = code_points(value.text); n > step.limit) {
        error = "value has " + std::to_string(n) + " characters, more than the " +
                std::to_string(step.limit) + " allowed";
        return false;
      }
      return true;
    case Kind::prefix: surround(value, step.text, {}, store); return true;
    case Kind::suffix: surround(value, {}, step.text, store); return true;
    case Kind::default_to:
    case Kind::map: break;
  }
  return true;
}

}  // namespace hisbridge::mapping
