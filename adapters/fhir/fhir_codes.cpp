#include "adapters/fhir/fhir_codes.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <string>
#include <utility>

namespace hisbridge::fhir {
namespace {

using Pair = std::pair<std::string_view, std::string_view>;

template <std::size_t N>
std::optional<std::string_view> lookup(const std::array<Pair, N>& table, std::string_view key) {
  for (const auto& [from, to] : table) {
    if (from == key) {
      return to;
    }
  }
  return std::nullopt;
}

// HL7 table 0078 codes that FHIR's ObservationInterpretation code system has with the same
// code, and their display there.
constexpr std::array<Pair, 30> kInterpretations = {{
    {"L", "Low"},
    {"H", "High"},
    {"LL", "Critical low"},
    {"HH", "Critical high"},
    {"LU", "Significantly low"},
    {"HU", "Significantly high"},
    {"<", "Off scale low"},
    {">", "Off scale high"},
    {"N", "Normal"},
    {"A", "Abnormal"},
    {"AA", "Critical abnormal"},
    {"U", "Significant change up"},
    {"D", "Significant change down"},
    {"B", "Better"},
    {"W", "Worse"},
    {"S", "Susceptible"},
    {"R", "Resistant"},
    {"I", "Intermediate"},
    {"MS", "Moderately susceptible"},
    {"VS", "Very susceptible"},
    {"SDD", "Susceptible-dose dependent"},
    {"NS", "Non-susceptible"},
    {"POS", "Positive"},
    {"NEG", "Negative"},
    {"IND", "Indeterminate"},
    {"DET", "Detected"},
    {"ND", "Not detected"},
    {"E", "Equivocal"},
    {"RR", "Reactive"},
    {"NR", "Non-reactive"},
}};

// Common laboratory units, exactly as case-sensitive UCUM writes them; UCUM has both "L" and
// "l" for the litre.
constexpr std::string_view kUcumUnits[] = {
    "%",       "g/L",     "g/dL",    "mg/dL",   "mg/L",     "ug/L",      "ng/mL",
    "pg/mL",   "ug/dL",   "mmol/L",  "umol/L",  "nmol/L",   "pmol/L",    "mol/L",
    "meq/L",   "U/L",     "[IU]/L",  "m[IU]/L", "u[IU]/mL", "[IU]/mL",   "fL",
    "pg",      "10*3/uL", "10*6/uL", "10*9/L",  "10*12/L",  "/uL",       "{cells}/uL",
    "mL",      "L",       "s",       "min",     "h",        "d",         "mm/h",
    "mm[Hg]",  "Cel",     "kg",      "g",       "cm",       "mL/min",    "mL/min/{1.73_m2}",
    "mosm/kg", "mg",      "ug",      "ng",      "[pH]",     "g/l",       "g/dl",
    "mg/dl",   "mmol/l",  "umol/l",  "U/l",     "g/mL",     "pg/{cell}",
};

}  // namespace

std::optional<std::string_view> gender(std::string_view sex) {
  static constexpr std::array<Pair, 4> kGenders = {
      {{"M", "male"}, {"F", "female"}, {"O", "other"}, {"U", "unknown"}}};
  return lookup(kGenders, sex);
}

nlohmann::json encounter_class(std::string_view visit_class) {
  static constexpr std::array<std::array<std::string_view, 3>, 3> kClasses = {{
      {"I", "IMP", "inpatient encounter"},
      {"O", "AMB", "ambulatory"},
      {"E", "EMER", "emergency"},
  }};
  for (const auto& [v2, code, display] : kClasses) {
    if (v2 == visit_class) {
      return {{"system", kV3ActCode}, {"code", code}, {"display", display}};
    }
  }
  if (!visit_class.empty()) {
    return {{"system", "http://terminology.hl7.org/CodeSystem/v2-0004"}, {"code", visit_class}};
  }
  return {{"system", "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"}, {"code", "UNK"}};
}

std::optional<std::string_view> request_priority(std::string_view priority) {
  static constexpr std::array<Pair, 2> kPriorities = {{{"S", "stat"}, {"R", "routine"}}};
  return lookup(kPriorities, priority);
}

std::string_view service_request_status(std::string_view order_status) {
  static constexpr std::array<Pair, 18> kStatuses = {{
      // ORC-5, table 0038.
      {"A", "active"},
      {"CA", "revoked"},
      {"CM", "completed"},
      {"DC", "revoked"},
      {"ER", "entered-in-error"},
      {"HD", "on-hold"},
      {"IP", "active"},
      {"RP", "revoked"},
      {"SC", "active"},
      // OBR-25, table 0123 (A is in both, with the same sense).
      {"O", "active"},
      {"I", "active"},
      {"S", "active"},
      {"P", "active"},
      {"R", "active"},
      {"C", "completed"},
      {"F", "completed"},
      {"X", "revoked"},
      {"Y", "unknown"},
  }};
  return lookup(kStatuses, order_status).value_or("unknown");
}

std::string_view report_status(std::string_view status) {
  static constexpr std::array<Pair, 11> kStatuses = {{
      {"O", "registered"},
      {"I", "registered"},
      {"S", "registered"},
      {"A", "partial"},
      {"P", "preliminary"},
      {"R", "preliminary"},
      {"C", "corrected"},
      {"F", "final"},
      {"X", "cancelled"},
      // ORC-5 values a status update may have left in his_order.status.
      {"CM", "final"},
      {"CA", "cancelled"},
  }};
  return lookup(kStatuses, status).value_or("unknown");
}

std::string_view observation_status(std::string_view status) {
  // HL7 v2-to-FHIR concept map for table 0085.
  static constexpr std::array<Pair, 11> kStatuses = {{
      {"F", "final"},
      {"P", "preliminary"},
      {"C", "corrected"},
      {"D", "entered-in-error"},
      {"W", "entered-in-error"},
      {"X", "cancelled"},
      {"N", "cancelled"},
      {"I", "registered"},
      {"O", "registered"},
      {"R", "preliminary"},
      {"S", "preliminary"},
  }};
  if (status == "U") {
    return "final";  // "results status change to final without retransmitting results"
  }
  return lookup(kStatuses, status).value_or("unknown");
}

nlohmann::json interpretation(std::string_view abnormal_flag) {
  if (const auto display = lookup(kInterpretations, abnormal_flag)) {
    return {{"coding",
             {{{"system", kV3Interpretation}, {"code", abnormal_flag}, {"display", *display}}}}};
  }
  // A site's own flag: kept as a table 0078 code with its text, which the extensible binding
  // allows.
  return {{"coding", {{{"system", kV2AbnormalFlags}, {"code", abnormal_flag}}}},
          {"text", abnormal_flag}};
}

std::optional<std::string> ucum_code(std::string_view unit, bool trust_all) {
  std::string code;
  for (std::size_t i = 0; i < unit.size(); ++i) {
    // MICRO SIGN (C2 B5) and GREEK SMALL LETTER MU (CE BC) are both written "u" in UCUM.
    const std::string_view rest = unit.substr(i);
    if (rest.starts_with("\xC2\xB5") || rest.starts_with("\xCE\xBC")) {
      code += 'u';
      ++i;
    } else {
      code += unit[i];
    }
  }
  if (code.empty()) {
    return std::nullopt;
  }
  if (trust_all || std::ranges::find(kUcumUnits, code) != std::end(kUcumUnits)) {
    return code;
  }
  return std::nullopt;
}

std::string_view coding_system_uri(std::string_view hl7_name) {
  static constexpr std::array<Pair, 7> kSystems = {{
      {"LN", kLoinc},
      {"SCT", kSnomed},
      {"SNM3", kSnomed},
      {"UCUM", kUcum},
      {"I10", "http://hl7.org/fhir/sid/icd-10"},
      {"ICD10", "http://hl7.org/fhir/sid/icd-10"},
      {"DCM", kDicom},
  }};
  return lookup(kSystems, hl7_name).value_or("");
}

nlohmann::json imaging_modality(std::string_view modality) {
  static constexpr std::string_view kDicomModalities[] = {
      "CT", "MR", "US", "CR", "DX", "NM", "PT", "XA", "MG", "RF", "OT", "IO", "PX", "ES", "SC"};
  const std::string_view code = modality == "NMR" ? std::string_view("MR") : modality;
  if (std::ranges::find(kDicomModalities, code) != std::end(kDicomModalities)) {
    return {{"system", kDicom}, {"code", code}};
  }
  return {{"system", kV2DiagnosticSection}, {"code", modality}};
}

}  // namespace hisbridge::fhir
