#pragma once

#include <nlohmann/json.hpp>

#include "adapters/fhir/bundle_context.hpp"
#include "adapters/fhir/record_set.hpp"
#include "engine/core/result.hpp"

namespace hisbridge::fhir {

// One builder per resource type; each returns the resource's JSON (without an `id`: the
// bundle names it by fullUrl and the server by conditional update), or Error::invalid_time /
// Error::missing_key. docs/fhir-output.md lists which column goes where.

// patient_resources.cpp
Result<nlohmann::json> patient_resource(const Row& patient, const BundleContext& context);
Result<nlohmann::json> encounter_resource(const Row& visit, const BundleContext& context);

// order_resources.cpp
Result<nlohmann::json> service_request_resource(const Row& order, const BundleContext& context);
Result<nlohmann::json> specimen_resource(const Row& order, const BundleContext& context);
Result<nlohmann::json> observation_resource(const Row& result, const BundleContext& context);
// The DiagnosticReport of a LAB order, over the results the message carries for it.
Result<nlohmann::json> lab_report_resource(const Row& order, const BundleContext& context);

// imaging_resources.cpp
Result<nlohmann::json> imaging_study_resource(const Row& report, const BundleContext& context);
Result<nlohmann::json> imaging_report_resource(const Row& report, const BundleContext& context);

}  // namespace hisbridge::fhir
