// ImagingStudy and the DiagnosticReport of a RAD order (his_report).
#include <string>
#include <string_view>
#include <utility>

#include "adapters/fhir/error.hpp"
#include "adapters/fhir/fhir_codes.hpp"
#include "adapters/fhir/fhir_datatypes.hpp"
#include "adapters/fhir/resources.hpp"

namespace hisbridge::fhir {
namespace {

// The report's code: the order's service when the message carries the order, else LOINC
// 18748-4 "Diagnostic imaging study" (DiagnosticReport.code is required).
nlohmann::json report_code(const Row* order, const BundleContext& context) {
  if (order != nullptr && order->has("service_code")) {
    nlohmann::json coding = {{"system", context.options().service_code_system},
                             {"code", order->get("service_code")}};
    nlohmann::json code = nlohmann::json::object();
    if (order->has("service_name")) {
      coding["display"] = order->get("service_name");
      code["text"] = order->get("service_name");
    }
    code["coding"] = nlohmann::json::array({std::move(coding)});
    return code;
  }
  return {{"coding",
           {{{"system", kLoinc}, {"code", "18748-4"}, {"display", "Diagnostic imaging study"}}}}};
}

std::string_view exam_time(const Row* order) {
  if (order == nullptr) {
    return {};
  }
  return order->has("started_at") ? order->get("started_at") : order->get("completed_at");
}

// The findings as a plain-text attachment, the form the report was written in.
nlohmann::json findings_attachment(std::string_view findings) {
  return {{"contentType", "text/plain; charset=utf-8"},
          {"title", "Findings"},
          {"data", base64(findings)}};
}

// basedOn, subject, encounter, and the order's results when the message carries any (a RIS
// may send measurements as OBX beside the report text).
void add_links(nlohmann::json& r, std::string_view order_no, const Row* order,
               const BundleContext& context) {
  if (auto based_on = context.order_reference(order_no)) {
    r["basedOn"] = nlohmann::json::array({std::move(*based_on)});
  }
  if (auto subject = context.patient_reference(context.order_patient(order_no))) {
    r["subject"] = std::move(*subject);
  }
  if (auto encounter = context.encounter_reference(order ? order->get("visit_id") : "")) {
    r["encounter"] = std::move(*encounter);
  }
  nlohmann::json results = nlohmann::json::array();
  for (const Row* result : context.results_of(order_no)) {
    results.push_back(reference(full_url(context.observation_key(*result))));
  }
  if (!results.empty()) {
    r["result"] = std::move(results);
  }
}

}  // namespace

Result<nlohmann::json> imaging_study_resource(const Row& report, const BundleContext& context) {
  const std::string_view order_no = report.get("order_no");
  const Row* order = context.records().order(order_no);
  auto subject = context.patient_reference(context.order_patient(order_no));
  if (!subject) {
    return make_error_code(Error::missing_key);  // ImagingStudy.subject is 1..1
  }
  const ResourceKey key = context.imaging_study_key(report);
  const bool accession = report.has("accession_no");
  nlohmann::json r = {
      {"resourceType", "ImagingStudy"},
      {"identifier",
       nlohmann::json::array({identifier(accession ? "ACSN" : "PLAC", key.system, key.value)})},
      // A report exists, so the images it was read from do.
      {"status", "available"},
      {"subject", std::move(*subject)},
  };
  if (report.has("modality")) {
    r["modality"] = nlohmann::json::array({imaging_modality(report.get("modality"))});
  }
  if (auto encounter = context.encounter_reference(order ? order->get("visit_id") : "")) {
    r["encounter"] = std::move(*encounter);
  }
  TimeWriter times;
  times.date_time(r, "started", exam_time(order));
  if (auto based_on = context.order_reference(order_no)) {
    r["basedOn"] = nlohmann::json::array({std::move(*based_on)});
  }
  if (order != nullptr && order->has("service_name")) {
    r["description"] = order->get("service_name");
  }
  if (times.error()) {
    return times.error();
  }
  return r;
}

Result<nlohmann::json> imaging_report_resource(const Row& report, const BundleContext& context) {
  const std::string_view order_no = report.get("order_no");
  const Row* order = context.records().order(order_no);
  nlohmann::json r = {
      {"resourceType", "DiagnosticReport"},
      {"identifier",
       nlohmann::json::array({identifier("PLAC", context.options().order_no_system, order_no)})},
      {"status", report_status(report.get("status"))},
      {"category",
       {{{"coding",
          {{{"system", kV2DiagnosticSection}, {"code", "RAD"}, {"display", "Radiology"}}}}}}},
      {"code", report_code(order, context)},
  };
  add_links(r, order_no, order, context);
  TimeWriter times;
  times.date_time(r, "effectiveDateTime", exam_time(order));
  times.instant(r, "issued", report.get("reported_at"));
  if (report.has("reported_by")) {
    // A name without a Practitioner resource behind it: a display-only reference.
    r["resultsInterpreter"] = nlohmann::json::array({{{"display", report.get("reported_by")}}});
  }
  r["imagingStudy"] =
      nlohmann::json::array({reference(full_url(context.imaging_study_key(report)))});
  if (report.has("conclusion")) {
    r["conclusion"] = report.get("conclusion");
  }
  if (report.has("findings")) {
    r["presentedForm"] = nlohmann::json::array({findings_attachment(report.get("findings"))});
  }
  if (times.error()) {
    return times.error();
  }
  return r;
}

}  // namespace hisbridge::fhir
