#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace hisbridge::fhir {

// The code systems the bundles use.
inline constexpr std::string_view kV2IdentifierType =
    "http://terminology.hl7.org/CodeSystem/v2-0203";
inline constexpr std::string_view kV3ActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
inline constexpr std::string_view kV3Interpretation =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
inline constexpr std::string_view kV2AbnormalFlags =
    "http://terminology.hl7.org/CodeSystem/v2-0078";
inline constexpr std::string_view kV2DiagnosticSection =
    "http://terminology.hl7.org/CodeSystem/v2-0074";
inline constexpr std::string_view kObservationCategory =
    "http://terminology.hl7.org/CodeSystem/observation-category";
inline constexpr std::string_view kSnomed = "http://snomed.info/sct";
inline constexpr std::string_view kLoinc = "http://loinc.org";
inline constexpr std::string_view kUcum = "http://unitsofmeasure.org";
inline constexpr std::string_view kDicom = "http://dicom.nema.org/resources/ontology/DCM";

// his_patient.sex (HL7 table 0001) → Patient.gender; nullopt for codes FHIR has no gender for.
std::optional<std::string_view> gender(std::string_view sex);

// his_visit.visit_class (PV1-2, HL7 table 0004) → Encounter.class, a v3 ActCode Coding. I, O
// and E map to IMP, AMB and EMER; a class outside those is kept as a table 0004 code, and an
// unknown one is the v3 NullFlavor UNK (Encounter.class is required).
nlohmann::json encounter_class(std::string_view visit_class);

// his_order.priority (S or R) → ServiceRequest.priority.
std::optional<std::string_view> request_priority(std::string_view priority);

// his_order.status → ServiceRequest.status. The column holds OBR-25 (table 0123) for results
// and ORC-5 (table 0038) for status updates; the two tables share no code with different
// meanings, so one mapping reads both.
std::string_view service_request_status(std::string_view order_status);

// his_order.status / his_report.status (OBR-25, table 0123) → DiagnosticReport.status.
std::string_view report_status(std::string_view status);

// his_result.status (OBX-11, table 0085) → Observation.status.
std::string_view observation_status(std::string_view status);

// his_result.abnormal_flag (OBX-8, table 0078) → Observation.interpretation CodeableConcept.
nlohmann::json interpretation(std::string_view abnormal_flag);

// The UCUM code of a unit as labs write it, when it certainly is one: µ written as u, the
// common laboratory units; nullopt otherwise. With `trust_all`, every unit is taken as UCUM.
std::optional<std::string> ucum_code(std::string_view unit, bool trust_all);

// The FHIR system URI of an HL7 v2 coding system name (CWE-3: LN, SCT, ...), or empty when
// it is local or unknown.
std::string_view coding_system_uri(std::string_view hl7_name);

// his_report.modality (OBR-24, table 0074) → an ImagingStudy.modality Coding: DICOM when the
// code is a DICOM modality (NMR read as MR), table 0074 otherwise.
nlohmann::json imaging_modality(std::string_view modality);

}  // namespace hisbridge::fhir
