#include "adapters/fhir/observation_value.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

#include "adapters/fhir/fhir_codes.hpp"

namespace hisbridge::fhir {
namespace {

constexpr int kMaxExactDigits = 15;  // DBL_DIG: any decimal this long survives a double

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
  }
  while (!text.empty() && text.back() == ' ') {
    text.remove_suffix(1);
  }
  return text;
}

std::vector<std::string_view> components(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t caret = text.find('^'); caret != std::string_view::npos;
       caret = text.find('^', start)) {
    parts.push_back(text.substr(start, caret - start));
    start = caret + 1;
  }
  parts.push_back(text.substr(start));
  return parts;
}

nlohmann::json quantity(nlohmann::json number, std::string_view unit, bool units_are_ucum) {
  nlohmann::json q = {{"value", std::move(number)}};
  if (!unit.empty()) {
    q["unit"] = unit;
    if (const auto code = ucum_code(unit, units_are_ucum)) {
      q["system"] = kUcum;
      q["code"] = *code;
    }
  }
  return q;
}

// "<0.5", "<= 3", ">200": the comparator and the rest.
std::pair<std::string_view, std::string_view> split_comparator(std::string_view text) {
  for (const std::string_view comparator : {"<=", ">=", "<", ">"}) {
    if (text.starts_with(comparator)) {
      return {comparator, trim(text.substr(comparator.size()))};
    }
  }
  return {{}, text};
}

// A decimal with an optional comparator as a Quantity; nullopt when it is not one.
std::optional<nlohmann::json> compared_quantity(std::string_view comparator,
                                                std::string_view number, std::string_view unit,
                                                bool units_are_ucum) {
  auto value = decimal_number(number);
  if (!value) {
    return std::nullopt;
  }
  nlohmann::json q = quantity(std::move(*value), unit, units_are_ucum);
  if (!comparator.empty()) {
    q["comparator"] = comparator;
  }
  return q;
}

// SN (structured numeric): comparator ^ num1 [^ separator ^ num2].
bool set_structured_numeric(nlohmann::json& observation, std::string_view value,
                            std::string_view unit, bool units_are_ucum) {
  const std::vector<std::string_view> c = components(value);
  const std::string_view comparator = c[0] == "=" ? std::string_view() : c[0];
  const std::string_view num1 = c.size() > 1 ? c[1] : std::string_view();
  const std::string_view separator = c.size() > 2 ? c[2] : std::string_view();
  const std::string_view num2 = c.size() > 3 ? c[3] : std::string_view();
  if (separator.empty() && num2.empty()) {
    if (comparator == "<" || comparator == "<=" || comparator == ">" || comparator == ">=" ||
        comparator.empty()) {
      if (auto q = compared_quantity(comparator, num1, unit, units_are_ucum)) {
        observation["valueQuantity"] = std::move(*q);
        return true;
      }
    }
    return false;
  }
  auto low = decimal_number(num1);
  auto high = decimal_number(num2);
  if (!comparator.empty() || !low || !high) {
    return false;
  }
  if (separator == "-") {
    observation["valueRange"] = {{"low", quantity(std::move(*low), unit, units_are_ucum)},
                                 {"high", quantity(std::move(*high), unit, units_are_ucum)}};
    return true;
  }
  if (separator == ":" || separator == "/") {
    observation["valueRatio"] = {{"numerator", {{"value", std::move(*low)}}},
                                 {"denominator", {{"value", std::move(*high)}}}};
    return true;
  }
  return false;
}

// CWE: identifier ^ text ^ coding system ^ ... ^ original text (component 9).
nlohmann::json codeable_concept(std::string_view value) {
  const std::vector<std::string_view> c = components(value);
  nlohmann::json coding = nlohmann::json::object();
  if (c.size() > 2 && !coding_system_uri(c[2]).empty()) {
    coding["system"] = coding_system_uri(c[2]);
  }
  if (!c[0].empty()) {
    coding["code"] = c[0];
  }
  if (c.size() > 1 && !c[1].empty()) {
    coding["display"] = c[1];
  }
  nlohmann::json concept_json = nlohmann::json::object();
  if (coding.contains("code")) {
    concept_json["coding"] = nlohmann::json::array({std::move(coding)});
  }
  const std::string_view text = c.size() > 8 && !c[8].empty()   ? c[8]
                                : c.size() > 1 && !c[1].empty() ? c[1]
                                                                : c[0];
  concept_json["text"] = text;
  return concept_json;
}

bool is_numeric_type(std::string_view type) { return type.empty() || type == "NM"; }

bool is_coded_type(std::string_view type) {
  return type == "CE" || type == "CWE" || type == "CNE" || type == "CF";
}

}  // namespace

std::optional<nlohmann::json> decimal_number(std::string_view text) {
  const std::string_view unsigned_part =
      text.starts_with('+') || text.starts_with('-') ? text.substr(1) : text;
  const std::size_t point = unsigned_part.find('.');
  const std::string_view whole = unsigned_part.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view() : unsigned_part.substr(point + 1);
  const auto all_digits = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
  };
  if (!all_digits(whole) || (point != std::string_view::npos && !all_digits(fraction))) {
    return std::nullopt;
  }
  // from_chars reads no leading '+'.
  const std::string_view readable = text.starts_with('+') ? text.substr(1) : text;
  if (point == std::string_view::npos) {
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(readable.data(), readable.data() + readable.size(), n);
    if (ec == std::errc() && end == readable.data() + readable.size()) {
      return nlohmann::json(n);
    }
  }
  std::string digits = std::string(whole) + std::string(fraction);
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size()));
  if (static_cast<int>(digits.size()) > kMaxExactDigits) {
    return std::nullopt;
  }
  double d = 0;
  const auto [end, ec] = std::from_chars(readable.data(), readable.data() + readable.size(), d);
  if (ec != std::errc() || end != readable.data() + readable.size()) {
    return std::nullopt;
  }
  return nlohmann::json(d);
}

void set_observation_value(nlohmann::json& observation, const ResultValue& result,
                           bool units_are_ucum) {
  const std::string_view value = result.value;
  if (value.empty()) {
    return;
  }
  if (result.value_type == "SN" && value.find('^') != std::string_view::npos &&
      set_structured_numeric(observation, value, result.unit, units_are_ucum)) {
    return;
  }
  if (is_numeric_type(result.value_type) || result.value_type == "SN") {
    const auto [comparator, number] = split_comparator(trim(value));
    if (auto q = compared_quantity(comparator, number, result.unit, units_are_ucum)) {
      observation["valueQuantity"] = std::move(*q);
      return;
    }
  }
  if (is_coded_type(result.value_type) && value.find('^') != std::string_view::npos) {
    observation["valueCodeableConcept"] = codeable_concept(value);
    return;
  }
  observation["valueString"] = value;
}

nlohmann::json reference_range(std::string_view ref_range, std::string_view unit,
                               bool units_are_ucum) {
  nlohmann::json range = {{"text", ref_range}};
  const auto [comparator, rest] = split_comparator(trim(ref_range));
  if (comparator == "<=" || comparator == ">=") {
    if (auto bound = decimal_number(rest)) {
      range[comparator == "<=" ? "high" : "low"] =
          quantity(std::move(*bound), unit, units_are_ucum);
    }
    return range;
  }
  // The '-' between the bounds: the first one after a digit (the low bound may be negative).
  std::size_t dash = std::string_view::npos;
  for (std::size_t i = 1; i < rest.size(); ++i) {
    if (rest[i] == '-' && (is_digit(rest[i - 1]) || rest[i - 1] == ' ')) {
      dash = i;
      break;
    }
  }
  if (comparator.empty() && dash != std::string_view::npos) {
    auto low = decimal_number(trim(rest.substr(0, dash)));
    auto high = decimal_number(trim(rest.substr(dash + 1)));
    if (low && high) {
      range["low"] = quantity(std::move(*low), unit, units_are_ucum);
      range["high"] = quantity(std::move(*high), unit, units_are_ucum);
    }
  }
  return range;
}

}  // namespace hisbridge::fhir
