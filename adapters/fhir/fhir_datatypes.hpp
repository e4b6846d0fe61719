#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "engine/core/result.hpp"

namespace hisbridge::fhir {

// A HIS time (ISO 8601 with offset, minutes at least: `2026-03-05T08:15+07:00`) as a FHIR
// dateTime. FHIR wants seconds whenever a time is given, so a time at minute precision gets
// ":00"; everything else passes unchanged (the offset as the message gave it). A bare date
// (YYYY-MM-DD) is a valid dateTime too. Error::invalid_time for anything else.
Result<std::string> fhir_date_time(std::string_view his_time);

// The same for a FHIR instant (DiagnosticReport.issued), which must have a time and an offset.
Result<std::string> fhir_instant(std::string_view his_time);

// his_patient.birth_date (YYYY-MM-DD; YYYY and YYYY-MM are accepted as FHIR allows).
Result<std::string> fhir_date(std::string_view his_date);

// Standard base64 (RFC 4648 §4, padded), for Attachment.data.
std::string base64(std::string_view bytes);

// An Identifier with a v2-0203 type code (MR, VN, PLAC, ACSN, ...).
nlohmann::json identifier(std::string_view type_code, std::string_view system,
                          std::string_view value);

// A Reference to `target`: a fullUrl of the bundle or a conditional `Type?identifier=...`.
nlohmann::json reference(const std::string& target);

}  // namespace hisbridge::fhir
