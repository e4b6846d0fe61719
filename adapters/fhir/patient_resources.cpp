// Patient (his_patient) and Encounter (his_visit).
#include <string>
#include <string_view>

#include "adapters/fhir/fhir_codes.hpp"
#include "adapters/fhir/fhir_datatypes.hpp"
#include "adapters/fhir/resources.hpp"

namespace hisbridge::fhir {
namespace {

// full_name is "family middle given" joined by single spaces (stock-mapping.md: Vietnamese
// order, `Nguyễn Thị Hoa`). FHIR's HumanName has no middle name, so the first word is the
// family name and the rest, in order, is one given name ("Thị Hoa"): that keeps the middle
// name with the given name, as Vietnamese use them, and a system that prints "given family"
// still shows every word. `text` keeps the name exactly as the HIS shows it.
nlohmann::json human_name(std::string_view full_name) {
  nlohmann::json name = {{"use", "official"}, {"text", full_name}};
  const std::size_t space = full_name.find(' ');
  name["family"] = full_name.substr(0, space);
  if (space != std::string_view::npos) {
    const std::string_view rest = full_name.substr(full_name.find_first_not_of(' ', space));
    name["given"] = nlohmann::json::array({rest});
  }
  return name;
}

}  // namespace

Result<nlohmann::json> patient_resource(const Row& patient, const BundleContext& context) {
  const BundleOptions& options = context.options();
  nlohmann::json r = {{"resourceType", "Patient"}};
  r["identifier"] = nlohmann::json::array(
      {identifier("MR", options.patient_id_system, patient.get("patient_id"))});
  if (patient.has("insurance_no")) {
    // Vietnamese health insurance (BHYT) card number: v2-0203 HC, "health card number".
    r["identifier"].push_back(
        identifier("HC", options.insurance_no_system, patient.get("insurance_no")));
  }
  if (patient.has("full_name")) {
    r["name"] = nlohmann::json::array({human_name(patient.get("full_name"))});
  }
  if (const auto g = gender(patient.get("sex"))) {
    r["gender"] = *g;
  }
  TimeWriter times;
  times.date(r, "birthDate", patient.get("birth_date"));
  if (patient.has("address")) {
    r["address"] = nlohmann::json::array({{{"text", patient.get("address")}}});
  }
  if (times.error()) {
    return times.error();
  }
  return r;
}

Result<nlohmann::json> encounter_resource(const Row& visit, const BundleContext& context) {
  const std::string_view visit_id = visit.get("visit_id");
  nlohmann::json r = {
      {"resourceType", "Encounter"},
      {"identifier",
       nlohmann::json::array({identifier("VN", context.options().visit_id_system, visit_id)})},
      // The HIS row says nothing of where the visit stands; ADT events are not kept in it.
      {"status", "unknown"},
      {"class", encounter_class(visit.get("visit_class"))},
  };
  if (auto subject = context.patient_reference(visit.get("patient_id"))) {
    r["subject"] = std::move(*subject);
  }
  TimeWriter times;
  nlohmann::json period = nlohmann::json::object();
  times.date_time(period, "start", visit.get("registered_at"));
  if (!period.empty()) {
    r["period"] = std::move(period);
  }
  if (visit.has("department")) {
    // A point of care code with no Location resource behind it: a display-only reference.
    r["location"] = nlohmann::json::array({{{"location", {{"display", visit.get("department")}}}}});
  }
  if (times.error()) {
    return times.error();
  }
  return r;
}

}  // namespace hisbridge::fhir
