#pragma once

#include <string>

namespace hisbridge::fhir {

// The identifier and code systems a site's bundles use. Each is a URI the site owns; the
// defaults are placeholders under `urn:hisbridge:` that a site replaces with its own (for
// example its OID as `urn:oid:...`) before the first bundle reaches a shared FHIR server,
// because the conditional updates match on them: changing one later makes the server create
// new resources instead of updating the old ones.
struct BundleOptions {
  std::string patient_id_system = "urn:hisbridge:patient-id";      // his_patient.patient_id
  std::string insurance_no_system = "urn:hisbridge:insurance-no";  // his_patient.insurance_no
  std::string visit_id_system = "urn:hisbridge:visit-id";          // his_visit.visit_id
  std::string order_no_system = "urn:hisbridge:order-no";          // his_order.order_no
  std::string result_id_system = "urn:hisbridge:result-id";        // order_no/test_code/seq
  std::string specimen_id_system = "urn:hisbridge:specimen";       // one specimen per order
  std::string accession_no_system = "urn:hisbridge:accession-no";  // his_report.accession_no
  std::string service_code_system = "urn:hisbridge:service-code";  // his_order.service_code
  std::string test_code_system = "urn:hisbridge:test-code";        // his_result.test_code
  // Units are written with a UCUM `code` only when the unit is one of the common laboratory
  // units known to be valid UCUM (fhir_codes.cpp). A site whose LIS sends nothing but UCUM
  // sets this to put every unit in `code` as well.
  bool units_are_ucum = false;
};

}  // namespace hisbridge::fhir
