#include "adapters/fhir/observation_value.hpp"

#include <gtest/gtest.h>

#include <string>

#include "adapters/fhir/fhir_codes.hpp"

namespace hisbridge::fhir {
namespace {

nlohmann::json value_of(std::string_view value, std::string_view type, std::string_view unit = "") {
  nlohmann::json observation = nlohmann::json::object();
  set_observation_value(observation, {value, type, unit}, false);
  return observation;
}

TEST(DecimalNumberTest, KeepsTheDecimalItWasGiven) {
  EXPECT_EQ(decimal_number("4.06")->dump(), "4.06");
  EXPECT_EQ(decimal_number("0.1")->dump(), "0.1");
  EXPECT_EQ(decimal_number("-2.5")->dump(), "-2.5");
  EXPECT_EQ(decimal_number("+3")->dump(), "3");
  EXPECT_EQ(decimal_number("105600")->dump(), "105600");
  EXPECT_EQ(decimal_number("9007199254740993")->dump(), "9007199254740993");  // > 2^53, exact
  EXPECT_EQ(decimal_number("5.0")->dump(), "5.0");
  EXPECT_EQ(decimal_number("007")->dump(), "7");
  EXPECT_TRUE(decimal_number("123456.789012345")->is_number_float());  // 15 digits
  // nlohmann::json prints doubles in their shortest form: the one loss, trailing zeros.
  EXPECT_EQ(decimal_number("4.10")->dump(), "4.1");
}

TEST(DecimalNumberTest, RefusesWhatIsNotAPlainDecimal) {
  for (const char* text : {"", "-", "1.", ".5", "1e5", "1,5", "4.06 ", "0x10", "NaN", "inf",
                           "1.2.3", "12a", "1234567.890123456",  // 16 significant digits
                           "123456789012345678901"}) {           // no int64 holds it
    EXPECT_FALSE(decimal_number(text).has_value()) << text;
  }
}

TEST(ObservationValueTest, NumbersAreQuantitiesWithUcumOnlyWhenSure) {
  EXPECT_EQ(
      value_of("8.9", "NM", "mmol/L")["valueQuantity"],
      (nlohmann::json{{"value", 8.9}, {"unit", "mmol/L"}, {"system", kUcum}, {"code", "mmol/L"}}));
  // The micro sign is written "u" in UCUM; the unit keeps what the lab wrote.
  EXPECT_EQ(value_of("118", "NM", "\xC2\xB5mol/L")["valueQuantity"]["code"], "umol/L");
  EXPECT_EQ(value_of("118", "NM", "\xC2\xB5mol/L")["valueQuantity"]["unit"], "\xC2\xB5mol/L");
  EXPECT_EQ(value_of("4.06", "NM", "tera.l-1")["valueQuantity"],
            (nlohmann::json{{"value", 4.06}, {"unit", "tera.l-1"}}));
  EXPECT_EQ(value_of("12", "", "")["valueQuantity"], (nlohmann::json{{"value", 12}}));
  nlohmann::json trusted = nlohmann::json::object();
  set_observation_value(trusted, {"4.06", "NM", "tera.l-1"}, true);
  EXPECT_EQ(trusted["valueQuantity"]["code"], "tera.l-1");
}

TEST(ObservationValueTest, ComparatorsBecomeQuantityComparators) {
  EXPECT_EQ(value_of("<0.5", "NM", "mg/L")["valueQuantity"]["comparator"], "<");
  EXPECT_EQ(value_of("<0.5", "NM", "mg/L")["valueQuantity"]["value"], 0.5);
  EXPECT_EQ(value_of(">= 200", "ST")["valueString"], ">= 200");  // a string stays a string
  EXPECT_EQ(value_of(">= 200", "NM")["valueQuantity"]["comparator"], ">=");
  EXPECT_EQ(value_of("<^0.5", "SN", "mg/L")["valueQuantity"], (nlohmann::json{{"value", 0.5},
                                                                              {"comparator", "<"},
                                                                              {"unit", "mg/L"},
                                                                              {"system", kUcum},
                                                                              {"code", "mg/L"}}));
  EXPECT_EQ(value_of("^182", "SN", "mg/dl")["valueQuantity"]["value"], 182);
  EXPECT_FALSE(value_of("^182", "SN")["valueQuantity"].contains("comparator"));
  EXPECT_EQ(value_of("=^7", "SN")["valueQuantity"]["value"], 7);
}

TEST(ObservationValueTest, StructuredRangesAndRatios) {
  EXPECT_EQ(value_of("^2^-^5", "SN", "%")["valueRange"]["low"]["value"], 2);
  EXPECT_EQ(value_of("^2^-^5", "SN", "%")["valueRange"]["high"]["value"], 5);
  EXPECT_EQ(value_of("^1^:^128", "SN")["valueRatio"],
            (nlohmann::json{{"numerator", {{"value", 1}}}, {"denominator", {{"value", 128}}}}));
  EXPECT_EQ(value_of("^2^+", "SN")["valueString"], "^2^+");  // "2+": no FHIR number for it
}

TEST(ObservationValueTest, CodedValuesAndText) {
  EXPECT_EQ(
      value_of("260415000^not detected^SCT^^^^^^None seen", "CWE")["valueCodeableConcept"],
      (nlohmann::json{
          {"coding", {{{"system", kSnomed}, {"code", "260415000"}, {"display", "not detected"}}}},
          {"text", "None seen"}}));
  EXPECT_EQ(value_of("POS^Dương tính^L", "CWE")["valueCodeableConcept"],
            (nlohmann::json{{"coding", {{{"code", "POS"}, {"display", "Dương tính"}}}},
                            {"text", "Dương tính"}}));
  EXPECT_EQ(value_of("Âm tính", "CWE")["valueString"], "Âm tính");
  EXPECT_EQ(value_of("positive", "NM")["valueString"], "positive");
  EXPECT_EQ(value_of("27~25", "NM")["valueString"], "27~25");
  EXPECT_EQ(value_of("12", "ST")["valueString"], "12");
  EXPECT_EQ(value_of("Dòng 1\nDòng 2", "FT")["valueString"], "Dòng 1\nDòng 2");
  EXPECT_TRUE(value_of("", "NM").empty());
}

TEST(ReferenceRangeTest, BoundsWhenTheRangeReadsAsOne) {
  EXPECT_EQ(
      reference_range("3.9-6.4", "mmol/L", false),
      (nlohmann::json{
          {"text", "3.9-6.4"},
          {"low", {{"value", 3.9}, {"unit", "mmol/L"}, {"system", kUcum}, {"code", "mmol/L"}}},
          {"high", {{"value", 6.4}, {"unit", "mmol/L"}, {"system", kUcum}, {"code", "mmol/L"}}}}));
  EXPECT_EQ(reference_range("3.9 - 6.4", "", false)["high"]["value"], 6.4);
  EXPECT_EQ(reference_range("-5-5", "", false)["low"]["value"], -5);
  EXPECT_EQ(reference_range("-5-5", "", false)["high"]["value"], 5);
  EXPECT_EQ(reference_range("<=3.4", "", false),
            (nlohmann::json{{"text", "<=3.4"}, {"high", {{"value", 3.4}}}}));
  EXPECT_EQ(reference_range(">=0.9", "", false),
            (nlohmann::json{{"text", ">=0.9"}, {"low", {{"value", 0.9}}}}));
  for (const char* text : {"70_105", "4.3 to 6.2", "<5", "Âm tính", "3.9-", "a-b"}) {
    EXPECT_EQ(reference_range(text, "", false), (nlohmann::json{{"text", text}})) << text;
  }
}

}  // namespace
}  // namespace hisbridge::fhir
