#include "adapters/fhir/bundle_context.hpp"

#include <utility>

#include "adapters/fhir/fhir_datatypes.hpp"

namespace hisbridge::fhir {
namespace {

// order_no/test_code/seq, with '%' and '/' inside a part percent-encoded so that no two
// results share a value.
std::string result_id(const Row& result) {
  std::string id;
  for (const std::string_view column : {"order_no", "test_code", "seq"}) {
    if (!id.empty()) {
      id += '/';
    }
    for (const char c : result.get(column)) {
      if (c == '%') {
        id += "%25";
      } else if (c == '/') {
        id += "%2F";
      } else {
        id += c;
      }
    }
  }
  return id;
}

std::optional<nlohmann::json> in_bundle(bool carried, const ResourceKey& key) {
  if (!carried) {
    return std::nullopt;
  }
  return reference(full_url(key));
}

}  // namespace

ResourceKey BundleContext::patient_key(std::string_view patient_id) const {
  return {"Patient", options_.patient_id_system, std::string(patient_id)};
}

ResourceKey BundleContext::encounter_key(std::string_view visit_id) const {
  return {"Encounter", options_.visit_id_system, std::string(visit_id)};
}

ResourceKey BundleContext::order_key(std::string_view order_no) const {
  return {"ServiceRequest", options_.order_no_system, std::string(order_no)};
}

ResourceKey BundleContext::specimen_key(std::string_view order_no) const {
  return {"Specimen", options_.specimen_id_system, std::string(order_no)};
}

ResourceKey BundleContext::observation_key(const Row& result) const {
  return {"Observation", options_.result_id_system, result_id(result)};
}

ResourceKey BundleContext::report_key(std::string_view order_no) const {
  return {"DiagnosticReport", options_.order_no_system, std::string(order_no)};
}

// By accession number when the report has one (the number PACS and RIS share), else by the
// order number.
ResourceKey BundleContext::imaging_study_key(const Row& report) const {
  if (report.has("accession_no")) {
    return {"ImagingStudy", options_.accession_no_system, std::string(report.get("accession_no"))};
  }
  return {"ImagingStudy", options_.order_no_system, std::string(report.get("order_no"))};
}

std::optional<nlohmann::json> BundleContext::patient_reference(std::string_view patient_id) const {
  if (patient_id.empty()) {
    return std::nullopt;
  }
  const ResourceKey key = patient_key(patient_id);
  if (records_.patient(patient_id) != nullptr) {
    return reference(full_url(key));
  }
  return reference(conditional_url(key));
}

std::optional<nlohmann::json> BundleContext::encounter_reference(std::string_view visit_id) const {
  return in_bundle(!visit_id.empty() && records_.visit(visit_id) != nullptr,
                   encounter_key(visit_id));
}

std::optional<nlohmann::json> BundleContext::order_reference(std::string_view order_no) const {
  return in_bundle(records_.order(order_no) != nullptr, order_key(order_no));
}

std::optional<nlohmann::json> BundleContext::specimen_reference(std::string_view order_no) const {
  const Row* order = records_.order(order_no);
  return in_bundle(order != nullptr && has_specimen(*order), specimen_key(order_no));
}

std::string_view BundleContext::order_patient(std::string_view order_no) const {
  if (const Row* order = records_.order(order_no); order != nullptr && order->has("patient_id")) {
    return order->get("patient_id");
  }
  if (records_.patients.size() == 1) {
    return records_.patients.front().get("patient_id");
  }
  return {};
}

bool BundleContext::has_specimen(const Row& order) const {
  return order.get("discipline") == "LAB" &&
         (order.has("collected_at") || order.has("received_at"));
}

std::vector<const Row*> BundleContext::results_of(std::string_view order_no) const {
  std::vector<const Row*> rows;
  for (const Row& result : records_.results) {
    if (result.get("order_no") == order_no) {
      rows.push_back(&result);
    }
  }
  return rows;
}

void TimeWriter::date_time(nlohmann::json& obj, const char* name, std::string_view his_time) {
  if (his_time.empty()) {
    return;
  }
  if (auto t = fhir_date_time(his_time)) {
    obj[name] = std::move(*t);
  } else if (!error_) {
    error_ = t.error();
  }
}

void TimeWriter::instant(nlohmann::json& obj, const char* name, std::string_view his_time) {
  if (his_time.empty()) {
    return;
  }
  if (auto t = fhir_instant(his_time)) {
    obj[name] = std::move(*t);
  } else if (!error_) {
    error_ = t.error();
  }
}

void TimeWriter::date(nlohmann::json& obj, const char* name, std::string_view his_date) {
  if (his_date.empty()) {
    return;
  }
  if (auto d = fhir_date(his_date)) {
    obj[name] = std::move(*d);
  } else if (!error_) {
    error_ = d.error();
  }
}

}  // namespace hisbridge::fhir
