#pragma once

// Shared by the FHIR tests: HIS records written by hand, the shape checks every bundle must
// pass, and reading the reference converter's expected bundles.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/mapping/record.hpp"
#include "tests/support/read_file.hpp"
#include "tests/support/kept_values.hpp"

namespace hisbridge::fhir::testing {

using Column = std::pair<std::string, std::optional<std::string>>;

// A record of `table` with the given columns (std::nullopt is a null value). his_result.seq is
// written as an integer, as the mapping engine does.
inline mapping::Record record(const std::string& table, const std::vector<Column>& columns) {
  auto shape = std::make_shared<mapping::RecordShape>();
  shape->table = table;
  mapping::Record r;
  for (const auto& [name, value] : columns) {
    shape->columns.push_back(name);
    if (!value) {
      r.values.push_back(mapping::Value::null());
    } else if (name == "seq") {
      r.values.push_back(testing_support::kept_integer(std::stoll(*value)));
    } else {
      r.values.push_back(testing_support::kept_text(*value));
    }
  }
  r.shape = std::move(shape);
  return r;
}

inline const std::filesystem::path& converter_samples() {
  static const std::filesystem::path dir =
      std::filesystem::path(HISBRIDGE_SAMPLES_DIR) / "fhir-converter";
  return dir;
}

// The resources of one type in an expected bundle of the reference converter.
inline std::vector<nlohmann::json> expected_resources(const std::string& relative,
                                                      const std::string& type) {
  const std::string text = testing_support::read_file(converter_samples() / "expected" / relative);
  const nlohmann::json bundle = nlohmann::json::parse(text, nullptr, false);
  std::vector<nlohmann::json> out;
  if (bundle.is_discarded()) {
    ADD_FAILURE() << "cannot read " << relative;
    return out;
  }
  for (const auto& entry : bundle["entry"]) {
    if (entry["resource"]["resourceType"] == type) {
      out.push_back(entry["resource"]);
    }
  }
  return out;
}

inline std::vector<nlohmann::json> resources(const nlohmann::json& bundle,
                                             const std::string& type) {
  std::vector<nlohmann::json> out;
  for (const auto& entry : bundle["entry"]) {
    if (entry["resource"]["resourceType"] == type) {
      out.push_back(entry["resource"]);
    }
  }
  return out;
}

// The entry whose fullUrl is `url`, or null.
inline nlohmann::json entry_at(const nlohmann::json& bundle, const std::string& url) {
  for (const auto& entry : bundle["entry"]) {
    if (entry["fullUrl"] == url) {
      return entry;
    }
  }
  return nullptr;
}

// Seconds since 1970 of an ISO 8601 date-time with offset ("2014-10-06T06:27:00+07:00"), so
// that times written in different zones compare as instants. Fractions are ignored.
inline std::int64_t epoch_seconds(const std::string& t) {
  const int y = std::stoi(t.substr(0, 4));
  const unsigned m = static_cast<unsigned>(std::stoi(t.substr(5, 2)));
  const unsigned d = static_cast<unsigned>(std::stoi(t.substr(8, 2)));
  // Days from civil (H. Hinnant's algorithm).
  const int yy = m <= 2 ? y - 1 : y;
  const int era = (yy >= 0 ? yy : yy - 399) / 400;
  const auto yoe = static_cast<unsigned>(yy - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = std::int64_t{era} * 146097 + std::int64_t{doe} - 719468;
  std::int64_t seconds = days * 86400;
  if (t.size() > 10) {
    seconds += std::stoll(t.substr(11, 2)) * 3600 + std::stoll(t.substr(14, 2)) * 60 +
               std::stoll(t.substr(17, 2));
    const std::size_t zone = t.find_first_of("Z+-", 19);
    if (zone != std::string::npos && t[zone] != 'Z') {
      const std::int64_t offset =
          std::stoll(t.substr(zone + 1, 2)) * 3600 + std::stoll(t.substr(zone + 4, 2)) * 60;
      seconds -= t[zone] == '+' ? offset : -offset;
    }
  }
  return seconds;
}

// Every "reference" string anywhere inside `value`.
inline void collect_references(const nlohmann::json& value, std::vector<std::string>& out) {
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      if (key == "reference" && child.is_string()) {
        out.push_back(child.get<std::string>());
      } else {
        collect_references(child, out);
      }
    }
  } else if (value.is_array()) {
    for (const auto& child : value) {
      collect_references(child, out);
    }
  }
}

inline bool is_uuid_urn(const std::string& url) {
  if (url.size() != 45 || url.rfind("urn:uuid:", 0) != 0) {
    return false;
  }
  for (std::size_t i = 9; i < url.size(); ++i) {
    const bool dash = i == 17 || i == 22 || i == 27 || i == 32;
    const char c = url[i];
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return url[23] == '5';  // RFC 4122 version 5
}

// What every bundle must be: a transaction whose entries are conditional PUTs named by
// distinct urn:uuid fullUrls, whose resources carry their required elements, and whose
// references resolve inside the bundle (or are a conditional reference to a Patient).
inline void expect_valid_bundle(const nlohmann::json& bundle) {
  ASSERT_EQ(bundle.value("resourceType", ""), "Bundle");
  ASSERT_EQ(bundle.value("type", ""), "transaction");
  ASSERT_TRUE(bundle["entry"].is_array());
  std::set<std::string> urls;
  std::set<std::string> conditional;
  for (const auto& entry : bundle["entry"]) {
    const std::string url = entry.value("fullUrl", "");
    EXPECT_TRUE(is_uuid_urn(url)) << url;
    EXPECT_TRUE(urls.insert(url).second) << "duplicate fullUrl " << url;
    const nlohmann::json& r = entry["resource"];
    const std::string type = r.value("resourceType", "");
    EXPECT_FALSE(r.contains("id")) << type;
    EXPECT_EQ(entry["request"].value("method", ""), "PUT");
    const std::string target = entry["request"].value("url", "");
    EXPECT_EQ(target.rfind(type + "?identifier=", 0), 0U) << target;
    EXPECT_TRUE(conditional.insert(target).second) << "two entries update " << target;
    EXPECT_TRUE(r["identifier"].is_array() && !r["identifier"].empty()) << type;
    if (type == "Encounter") {
      EXPECT_TRUE(r.contains("status") && r.contains("class"));
    } else if (type == "ServiceRequest") {
      EXPECT_TRUE(r.contains("status") && r.contains("intent") && r.contains("subject"));
    } else if (type == "Observation" || type == "DiagnosticReport") {
      EXPECT_TRUE(r.contains("status") && r.contains("code")) << type;
    } else if (type == "ImagingStudy") {
      EXPECT_TRUE(r.contains("status") && r.contains("subject"));
    }
  }
  for (const auto& entry : bundle["entry"]) {
    std::vector<std::string> refs;
    collect_references(entry["resource"], refs);
    for (const std::string& ref : refs) {
      const bool inside = urls.count(ref) == 1;
      const bool patient_lookup = ref.rfind("Patient?identifier=", 0) == 0;
      EXPECT_TRUE(inside || patient_lookup) << "dangling reference " << ref;
    }
  }
}

}  // namespace hisbridge::fhir::testing
