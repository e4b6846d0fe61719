#include "engine/config/json_reader.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <utility>

namespace hisbridge::config {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string type_name(const nlohmann::json& v) { return v.type_name(); }

}  // namespace

void ErrorSink::at(Position position, std::string message) {
  errors_.push_back({file_, position.line, position.column, std::move(message)});
}

void ErrorSink::at_value(std::string_view pointer, std::string message) {
  at(map_.value(pointer), std::move(message));
}

void ErrorSink::at_key(std::string_view pointer, std::string message) {
  at(map_.key(pointer), std::move(message));
}

bool parse_json_with_comments(std::string_view text, ErrorSink& sink, nlohmann::json& out) {
  try {
    out = nlohmann::json::parse(text, nullptr, true, /*ignore_comments=*/true);
    return true;
  } catch (const nlohmann::json::parse_error& e) {
    // The byte nlohmann reports is one past where it stopped reading.
    const std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    std::string what = e.what();
    const std::size_t colon = what.rfind(": ");
    sink.at(position_at(text, offset),
            "not valid JSON: " + (colon == std::string::npos ? what : what.substr(colon + 2)));
  } catch (const nlohmann::json::exception& e) {
    // A number too large for any C++ type, for one: nlohmann names no position for it.
    sink.at({1, 1}, std::string("not valid JSON: ") + e.what());
  }
  return false;
}

std::string closest_match(std::string_view word, std::initializer_list<std::string_view> candidates) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (std::string_view candidate : candidates) {
    const std::size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(candidate);
    }
  }
  return best;
}

ObjectReader::ObjectReader(const nlohmann::json& object, std::string pointer, ErrorSink& sink,
                           std::initializer_list<std::string_view> allowed_keys)
    : object_(object), pointer_(std::move(pointer)), sink_(sink) {
  if (!object_.is_object()) {
    sink_.at_value(pointer_, "expected an object, found " + type_name(object_));
    valid_ = false;
    return;
  }
  for (const auto& [key, value] : object_.items()) {
    if (std::find(allowed_keys.begin(), allowed_keys.end(), key) != allowed_keys.end()) {
      continue;
    }
    std::string message = "unknown key '" + key + "'";
    const std::string suggestion = closest_match(key, allowed_keys);
    if (!suggestion.empty()) {
      message += " (did you mean '" + suggestion + "'?)";
    }
    sink_.at_key(this->pointer(key), std::move(message));
  }
}

bool ObjectReader::has(std::string_view key) const { return member(key) != nullptr; }

const nlohmann::json* ObjectReader::member(std::string_view key) const {
  if (!valid_) {
    return nullptr;
  }
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

void ObjectReader::text(std::string_view key, std::string& out, bool required) {
  const nlohmann::json* v = member(key);
  if (v == nullptr) {
    if (required && valid_) {
      sink_.at_value(pointer_, "missing '" + std::string(key) + "'");
    }
    return;
  }
  if (!v->is_string()) {
    sink_.at_value(pointer(key), "'" + std::string(key) + "' must be a string, found " + type_name(*v));
    return;
  }
  out = v->get<std::string>();
  if (required && out.empty()) {
    sink_.at_value(pointer(key), "'" + std::string(key) + "' must not be empty");
  }
}

void ObjectReader::flag(std::string_view key, bool& out) {
  const nlohmann::json* v = member(key);
  if (v == nullptr) {
    return;
  }
  if (!v->is_boolean()) {
    sink_.at_value(pointer(key), "'" + std::string(key) + "' must be true or false");
    return;
  }
  out = v->get<bool>();
}

void ObjectReader::port(std::string_view key, std::uint16_t& out, bool required) {
  const nlohmann::json* v = member(key);
  if (v == nullptr) {
    if (required && valid_) {
      sink_.at_value(pointer_, "missing '" + std::string(key) + "'");
    }
    return;
  }
  if (!v->is_number_integer() || v->get<std::int64_t>() < 1 || v->get<std::int64_t>() > 65535) {
    sink_.at_value(pointer(key), "'" + std::string(key) + "' must be a port number from 1 to 65535, found " + v->dump());
    return;
  }
  out = static_cast<std::uint16_t>(v->get<std::int64_t>());
}

void ObjectReader::count(std::string_view key, std::size_t& out, std::size_t min, std::size_t max) {
  const nlohmann::json* v = member(key);
  if (v == nullptr) {
    return;
  }
  if (!v->is_number_unsigned() || v->get<std::uint64_t>() < min || v->get<std::uint64_t>() > max) {
    sink_.at_value(pointer(key), "'" + std::string(key) + "' must be a whole number from " +
                                     std::to_string(min) + " to " + std::to_string(max) +
                                     ", found " + v->dump());
    return;
  }
  out = static_cast<std::size_t>(v->get<std::uint64_t>());
}

void ObjectReader::duration(std::string_view key, std::chrono::milliseconds& out) {
  const nlohmann::json* v = member(key);
  if (v == nullptr) {
    return;
  }
  const std::string bad = "'" + std::string(key) +
                          "' must be a duration such as \"250ms\", \"30s\", \"5m\", \"2h\", \"1d\"";
  if (v->is_number_unsigned()) {
    out = std::chrono::seconds(v->get<std::uint64_t>());
    return;
  }
  if (!v->is_string()) {
    sink_.at_value(pointer(key), bad);
    return;
  }
  const std::string s = v->get<std::string>();
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  const std::string_view unit(end, static_cast<std::size_t>(s.data() + s.size() - end));
  if (ec != std::errc() || end == s.data()) {
    sink_.at_value(pointer(key), bad);
    return;
  }
  const auto count = static_cast<std::chrono::milliseconds::rep>(n);
  if (unit == "ms") {
    out = std::chrono::milliseconds(count);
  } else if (unit == "s") {
    out = std::chrono::seconds(count);
  } else if (unit == "m") {
    out = std::chrono::minutes(count);
  } else if (unit == "h") {
    out = std::chrono::hours(count);
  } else if (unit == "d") {
    out = std::chrono::hours(24 * count);
  } else {
    sink_.at_value(pointer(key), bad);
  }
}

namespace {

// The multiplier of a size unit; 0 for an unknown one.
double size_unit(std::string_view unit) {
  constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1},           {"B", 1},           {"KB", 1e3},           {"MB", 1e6},
      {"GB", 1e9},       {"TB", 1e12},       {"KiB", 1024.0},       {"MiB", 1048576.0},
      {"GiB", 1073741824.0}, {"TiB", 1099511627776.0}};
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) {
      return factor;
    }
  }
  return 0;
}

}  // namespace

void ObjectReader::bytes(std::string_view key, std::int64_t& out, std::int64_t min) {
  const nlohmann::json* v = member(key);
  if (v == nullptr) {
    return;
  }
  const std::string bad = "'" + std::string(key) +
                          "' must be a size such as \"500MB\", \"20GB\", \"1.5GiB\" or a number "
                          "of bytes, at least " +
                          std::to_string(min) + " bytes, found " + v->dump();
  double value = 0;
  if (v->is_number_unsigned()) {
    value = static_cast<double>(v->get<std::uint64_t>());
  } else if (v->is_string()) {
    const std::string s = v->get<std::string>();
    const char* end = s.data() + s.size();
    auto [unit_start, ec] = std::from_chars(s.data(), end, value);
    if (ec != std::errc() || unit_start == s.data()) {
      sink_.at_value(pointer(key), bad);
      return;
    }
    while (unit_start != end && *unit_start == ' ') {
      ++unit_start;
    }
    const double factor =
        size_unit(std::string_view(unit_start, static_cast<std::size_t>(end - unit_start)));
    value *= factor;
    if (factor == 0) {
      sink_.at_value(pointer(key), bad);
      return;
    }
  } else {
    sink_.at_value(pointer(key), bad);
    return;
  }
  // 2^62: far beyond any disk, and exactly representable, so the cast cannot overflow.
  if (!(value >= static_cast<double>(min)) || value > 4.611686018427387904e18) {
    sink_.at_value(pointer(key), bad);
    return;
  }
  out = static_cast<std::int64_t>(value);
}

void ObjectReader::texts(std::string_view key, std::vector<std::string>& out) {
  const nlohmann::json* v = member(key);
  if (v == nullptr) {
    return;
  }
  if (!v->is_array()) {
    sink_.at_value(pointer(key), "'" + std::string(key) + "' must be a list of strings");
    return;
  }
  for (std::size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) {
      sink_.at_value(pointer(key) + "/" + std::to_string(i), "expected a string, found " + type_name((*v)[i]));
      continue;
    }
    out.push_back((*v)[i].get<std::string>());
  }
}

}  // namespace hisbridge::config
