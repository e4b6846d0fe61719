// ServiceRequest and Specimen (his_order), Observation (his_result), and the DiagnosticReport
// of a LAB order.
#include <string>
#include <string_view>
#include <utility>

#include "adapters/fhir/error.hpp"
#include "adapters/fhir/fhir_codes.hpp"
#include "adapters/fhir/fhir_datatypes.hpp"
#include "adapters/fhir/observation_value.hpp"
#include "adapters/fhir/resources.hpp"

namespace hisbridge::fhir {
namespace {

// his_order.service_code / service_name in the site's service code system.
nlohmann::json service_code(const Row& order, const BundleContext& context) {
  nlohmann::json code = nlohmann::json::object();
  if (order.has("service_code")) {
    nlohmann::json coding = {{"system", context.options().service_code_system},
                             {"code", order.get("service_code")}};
    if (order.has("service_name")) {
      coding["display"] = order.get("service_name");
    }
    code["coding"] = nlohmann::json::array({std::move(coding)});
  }
  code["text"] = order.has("service_name") ? order.get("service_name") : order.get("service_code");
  return code;
}

// US Core's ServiceRequest categories: SNOMED CT "Laboratory procedure" and "Imaging".
std::optional<nlohmann::json> request_category(std::string_view discipline) {
  if (discipline == "LAB") {
    return nlohmann::json{
        {"coding",
         {{{"system", kSnomed}, {"code", "108252007"}, {"display", "Laboratory procedure"}}}}};
  }
  if (discipline == "RAD") {
    return nlohmann::json{
        {"coding", {{{"system", kSnomed}, {"code", "363679005"}, {"display", "Imaging"}}}}};
  }
  return std::nullopt;
}

std::optional<nlohmann::json> observation_category(std::string_view discipline) {
  const std::string_view code = discipline == "LAB"   ? "laboratory"
                                : discipline == "RAD" ? "imaging"
                                                      : "";
  if (code.empty()) {
    return std::nullopt;
  }
  return nlohmann::json{{"coding", {{{"system", kObservationCategory}, {"code", code}}}}};
}

void put(nlohmann::json& r, const char* name, std::optional<nlohmann::json> value) {
  if (value) {
    r[name] = std::move(*value);
  }
}

void put_list(nlohmann::json& r, const char* name, std::optional<nlohmann::json> value) {
  if (value) {
    r[name] = nlohmann::json::array({std::move(*value)});
  }
}

nlohmann::json result_code(const Row& result, const BundleContext& context) {
  nlohmann::json coding = {{"system", context.options().test_code_system},
                           {"code", result.get("test_code")}};
  if (result.has("test_name")) {
    coding["display"] = result.get("test_name");
  }
  nlohmann::json code = {{"coding", nlohmann::json::array({std::move(coding)})}};
  if (result.has("test_name")) {
    code["text"] = result.get("test_name");
  }
  return code;
}

}  // namespace

Result<nlohmann::json> service_request_resource(const Row& order, const BundleContext& context) {
  const std::string_view order_no = order.get("order_no");
  auto subject = context.patient_reference(context.order_patient(order_no));
  if (!subject) {
    return make_error_code(Error::missing_key);  // ServiceRequest.subject is 1..1
  }
  nlohmann::json r = {
      {"resourceType", "ServiceRequest"},
      {"identifier",
       nlohmann::json::array({identifier("PLAC", context.options().order_no_system, order_no)})},
      {"status", service_request_status(order.get("status"))},
      {"intent", "order"},
  };
  put_list(r, "category", request_category(order.get("discipline")));
  if (const auto priority = request_priority(order.get("priority"))) {
    r["priority"] = *priority;
  }
  r["code"] = service_code(order, context);
  r["subject"] = std::move(*subject);
  put(r, "encounter", context.encounter_reference(order.get("visit_id")));
  TimeWriter times;
  times.date_time(r, "authoredOn", order.get("ordered_at"));
  put_list(r, "specimen", context.specimen_reference(order_no));
  if (times.error()) {
    return times.error();
  }
  return r;
}

Result<nlohmann::json> specimen_resource(const Row& order, const BundleContext& context) {
  const std::string_view order_no = order.get("order_no");
  nlohmann::json r = {
      {"resourceType", "Specimen"},
      {"identifier", nlohmann::json::array({{{"system", context.options().specimen_id_system},
                                             {"value", order_no}}})},
  };
  put(r, "subject", context.patient_reference(context.order_patient(order_no)));
  TimeWriter times;
  times.date_time(r, "receivedTime", order.get("received_at"));
  put_list(r, "request", context.order_reference(order_no));
  nlohmann::json collection = nlohmann::json::object();
  times.date_time(collection, "collectedDateTime", order.get("collected_at"));
  if (!collection.empty()) {
    r["collection"] = std::move(collection);
  }
  if (times.error()) {
    return times.error();
  }
  return r;
}

Result<nlohmann::json> observation_resource(const Row& result, const BundleContext& context) {
  const std::string_view order_no = result.get("order_no");
  const Row* order = context.records().order(order_no);
  const BundleOptions& options = context.options();
  nlohmann::json r = {
      {"resourceType", "Observation"},
      {"identifier", nlohmann::json::array({{{"system", options.result_id_system},
                                             {"value", context.observation_key(result).value}}})},
      {"status", observation_status(result.get("status"))},
  };
  put_list(r, "basedOn", context.order_reference(order_no));
  put_list(r, "category", observation_category(order ? order->get("discipline") : ""));
  r["code"] = result_code(result, context);
  put(r, "subject", context.patient_reference(context.order_patient(order_no)));
  put(r, "encounter", context.encounter_reference(order ? order->get("visit_id") : ""));
  TimeWriter times;
  times.date_time(r, "effectiveDateTime", result.get("observed_at"));
  set_observation_value(r, {result.get("value"), result.get("value_type"), result.get("unit")},
                        options.units_are_ucum);
  if (result.has("abnormal_flag")) {
    r["interpretation"] = nlohmann::json::array({interpretation(result.get("abnormal_flag"))});
  }
  put(r, "specimen", context.specimen_reference(order_no));
  if (result.has("ref_range")) {
    r["referenceRange"] = nlohmann::json::array(
        {reference_range(result.get("ref_range"), result.get("unit"), options.units_are_ucum)});
  }
  if (times.error()) {
    return times.error();
  }
  return r;
}

Result<nlohmann::json> lab_report_resource(const Row& order, const BundleContext& context) {
  const std::string_view order_no = order.get("order_no");
  nlohmann::json r = {
      {"resourceType", "DiagnosticReport"},
      {"identifier",
       nlohmann::json::array({identifier("PLAC", context.options().order_no_system, order_no)})},
      {"status", report_status(order.get("status"))},
      {"category",
       {{{"coding",
          {{{"system", kV2DiagnosticSection}, {"code", "LAB"}, {"display", "Laboratory"}}}}}}},
      {"code", service_code(order, context)},
  };
  put_list(r, "basedOn", context.order_reference(order_no));
  put(r, "subject", context.patient_reference(context.order_patient(order_no)));
  put(r, "encounter", context.encounter_reference(order.get("visit_id")));
  TimeWriter times;
  // The clinically relevant time of a lab report is when the specimen was taken.
  times.date_time(r, "effectiveDateTime", order.get("collected_at"));
  times.instant(r, "issued", order.get("reported_at"));
  put_list(r, "specimen", context.specimen_reference(order_no));
  nlohmann::json results = nlohmann::json::array();
  for (const Row* result : context.results_of(order_no)) {
    results.push_back(reference(full_url(context.observation_key(*result))));
  }
  r["result"] = std::move(results);
  if (times.error()) {
    return times.error();
  }
  return r;
}

}  // namespace hisbridge::fhir
