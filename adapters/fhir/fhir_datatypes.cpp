#include "adapters/fhir/fhir_datatypes.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "adapters/fhir/error.hpp"
#include "adapters/fhir/fhir_codes.hpp"

namespace hisbridge::fhir {
namespace {

// Whether `text` matches `shape`, where 'd' stands for a digit and every other character for
// itself.
bool matches(std::string_view text, std::string_view shape) {
  if (text.size() != shape.size()) {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool ok = shape[i] == 'd' ? (text[i] >= '0' && text[i] <= '9') : text[i] == shape[i];
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool is_offset(std::string_view text) {
  return text == "Z" || matches(text, "+dd:dd") || matches(text, "-dd:dd");
}

// Seconds with an optional fraction: ":ss" or ":ss.s+".
bool is_seconds(std::string_view text) {
  if (!matches(text.substr(0, 3), ":dd")) {
    return false;
  }
  if (text.size() == 3) {
    return true;
  }
  if (text[3] != '.' || text.size() == 4) {
    return false;
  }
  for (const char c : text.substr(4)) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

// "YYYY-MM-DDThh:mm" + optional seconds + offset, with seconds added when missing.
Result<std::string> with_seconds(std::string_view text) {
  constexpr std::size_t kMinutes = 16;  // "YYYY-MM-DDThh:mm"
  if (text.size() <= kMinutes || !matches(text.substr(0, kMinutes), "dddd-dd-ddTdd:dd")) {
    return make_error_code(Error::invalid_time);
  }
  const std::size_t zone = text.find_first_of("Z+-", kMinutes);
  if (zone == std::string_view::npos || !is_offset(text.substr(zone))) {
    return make_error_code(Error::invalid_time);
  }
  const std::string_view seconds = text.substr(kMinutes, zone - kMinutes);
  if (seconds.empty()) {
    return std::string(text.substr(0, kMinutes)) + ":00" + std::string(text.substr(zone));
  }
  if (!is_seconds(seconds)) {
    return make_error_code(Error::invalid_time);
  }
  return std::string(text);
}

}  // namespace

Result<std::string> fhir_date_time(std::string_view his_time) {
  if (matches(his_time, "dddd-dd-dd")) {
    return std::string(his_time);
  }
  return with_seconds(his_time);
}

Result<std::string> fhir_instant(std::string_view his_time) { return with_seconds(his_time); }

Result<std::string> fhir_date(std::string_view his_date) {
  if (matches(his_date, "dddd-dd-dd") || matches(his_date, "dddd-dd") ||
      matches(his_date, "dddd")) {
    return std::string(his_date);
  }
  return make_error_code(Error::invalid_time);
}

std::string base64(std::string_view bytes) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 3; ++j) {
      const auto byte = j < n ? static_cast<unsigned char>(bytes[i + j]) : 0U;
      group = (group << 8U) | byte;
    }
    for (std::size_t j = 0; j < 4; ++j) {
      const auto sextet = (group >> (18U - 6U * j)) & 0x3FU;
      out += j <= n ? kAlphabet[sextet] : '=';
    }
  }
  return out;
}

nlohmann::json identifier(std::string_view type_code, std::string_view system,
                          std::string_view value) {
  return {{"type", {{"coding", {{{"system", kV2IdentifierType}, {"code", type_code}}}}}},
          {"system", system},
          {"value", value}};
}

nlohmann::json reference(const std::string& target) { return {{"reference", target}}; }

}  // namespace hisbridge::fhir
