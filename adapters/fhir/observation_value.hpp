#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace hisbridge::fhir {

// A JSON number read from the decimal text `[+-]digits[.digits]`: an integer when there is
// no fraction (exact at any size an int64 holds), a double otherwise, accepted only when the
// text has at most 15 significant digits, so the double prints back as the same decimal (less
// trailing zeros of the fraction: nlohmann::json prints doubles in their shortest form, and
// "4.10" comes out as 4.1). nullopt for anything else.
std::optional<nlohmann::json> decimal_number(std::string_view text);

// What his_result says about one value.
struct ResultValue {
  std::string_view value;       // OBX-5, repetitions joined with '~'
  std::string_view value_type;  // OBX-2: NM, SN, ST, TX, FT, CWE, ...
  std::string_view unit;        // OBX-6 CE-1
};

// Sets the value[x] of `observation`:
//   NM, SN or no type, a decimal        → valueQuantity (unit; UCUM system and code when sure)
//   the same with <, <=, >, >= before it → valueQuantity with comparator ("<0.5", SN "<^0.5")
//   SN num1^-^num2 or num1^:^num2        → valueRange or valueRatio
//   CE, CWE, CNE with components         → valueCodeableConcept (code^text^system ... ^^text)
//   anything else                        → valueString, as given
// Nothing when the value is empty.
void set_observation_value(nlohmann::json& observation, const ResultValue& result,
                           bool units_are_ucum);

// A referenceRange element: always the text; low and high too when the range reads `a-b`
// (`a - b`), only high for `<=b`, only low for `>=a`.
nlohmann::json reference_range(std::string_view ref_range, std::string_view unit,
                               bool units_are_ucum);

}  // namespace hisbridge::fhir
