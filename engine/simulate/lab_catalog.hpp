#pragma once

#include <span>
#include <string>
#include <string_view>

#include "engine/simulate/random.hpp"

namespace hisbridge::simulate {

// One test of a panel: an OBX. Numeric tests draw a value around their reference range;
// text ones (dipstick readings) say one of two words.
struct LabTest {
  std::string_view code;    // OBX-3 CE-1: LOINC where one is in use, else the lab's own code
  std::string_view name;    // OBX-3 CE-2
  std::string_view coding;  // OBX-3 CE-3: LN or L
  std::string_view unit;    // OBX-6; empty for text results
  double low = 0;           // reference range; a text test uses neither
  double high = 0;
  int decimals = 1;
  std::string_view normal_text;    // a text test's normal reading ("Âm tính")
  std::string_view abnormal_text;  // and its abnormal one

  bool numeric() const { return normal_text.empty(); }
};

// An orderable laboratory service (OBR-4, the Ministry of Health's service codes) and the
// specimen it needs (SPM-4, HL7 table 0487).
struct LabPanel {
  std::string_view code;
  std::string_view name;
  std::string_view specimen_code;
  std::string_view specimen_name;
  std::span<const LabTest> tests;
  double weight = 1;       // how often it is ordered
  double stat_weight = 1;  // how often among STAT orders
  double preliminary = 0;  // share of orders reported preliminary before final
};

// One reported value with its flag (OBX-8: N, L, H, LL, HH, or A for an abnormal text).
struct Observation {
  const LabTest* test = nullptr;
  std::string value;
  std::string flag;
  std::string reference_range;  // OBX-7 as the lab prints it
};

std::span<const LabPanel> lab_panels();
const LabPanel& pick_panel(Random& random, bool stat);

// A value for `test`: normal most of the time, outside the range with `abnormal_chance`.
Observation observe(Random& random, const LabTest& test, double abnormal_chance);

}  // namespace hisbridge::simulate
