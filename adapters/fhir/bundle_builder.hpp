#pragma once

#include <nlohmann/json.hpp>
#include <span>

#include "adapters/fhir/bundle_options.hpp"
#include "engine/core/result.hpp"
#include "engine/mapping/record.hpp"

namespace hisbridge::fhir {

// Turns the HIS records one message maps to (design.md, HIS staging schema) into a FHIR R4
// transaction Bundle. Pure: no I/O, no clock; the same records give the same bundle, byte for
// byte once dumped.
//
// Every entry is a conditional update, `PUT Type?identifier=system|value`, on the resource's
// business identifier (patient_id, visit_id, order_no, ...), so posting the bundle again leaves
// the server as it was. Each entry's fullUrl is `urn:uuid:` and a name-based UUID of that
// identifier; references between entries use it, and the server rewrites them to the ids it
// assigns. Entries come in a fixed order: Patient, Encounter, ServiceRequest, Specimen,
// Observation, DiagnosticReport (LAB), ImagingStudy, DiagnosticReport (RAD).
//
// Rows with the same key merge, later known values winning (the HIS upsert). Records of
// tables other than the five HIS tables are ignored. Errors: Error::missing_key (a record
// without its key; an order or imaging report with no patient), Error::invalid_time (a time
// that is not ISO 8601 with offset). A message with no record of the five tables gives a
// bundle with no entry.
Result<nlohmann::json> build_bundle(std::span<const mapping::Record> records,
                                    const BundleOptions& options);

}  // namespace hisbridge::fhir
