#include "engine/simulate/lab_catalog.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <vector>

namespace hisbridge::simulate {
namespace {

constexpr std::array<LabTest, 6> kBloodCount{{
    {"6690-2", "Số lượng bạch cầu (WBC)", "LN", "10*9/L", 4.0, 10.0, 1, {}, {}},
    {"789-8", "Số lượng hồng cầu (RBC)", "LN", "10*12/L", 3.8, 5.5, 2, {}, {}},
    {"718-7", "Huyết sắc tố (HGB)", "LN", "g/L", 120, 160, 0, {}, {}},
    {"4544-3", "Hematocrit (HCT)", "LN", "%", 36, 48, 1, {}, {}},
    {"787-2", "Thể tích trung bình hồng cầu (MCV)", "LN", "fL", 80, 100, 1, {}, {}},
    {"777-3", "Số lượng tiểu cầu (PLT)", "LN", "10*9/L", 150, 400, 0, {}, {}},
}};
constexpr std::array<LabTest, 4> kElectrolytes{{
    {"2951-2", "Natri", "LN", "mmol/L", 135, 145, 1, {}, {}},
    {"2823-3", "Kali", "LN", "mmol/L", 3.5, 5.0, 2, {}, {}},
    {"2075-0", "Clo", "LN", "mmol/L", 98, 106, 1, {}, {}},
    {"2345-7", "Glucose máu", "LN", "mmol/L", 3.9, 6.4, 1, {}, {}},
}};
constexpr std::array<LabTest, 2> kKidney{{
    {"3091-6", "Urê máu", "LN", "mmol/L", 2.5, 7.5, 1, {}, {}},
    {"2160-0", "Creatinin máu", "LN", "µmol/L", 53, 115, 0, {}, {}},
}};
constexpr std::array<LabTest, 3> kLiver{{
    {"1920-8", "AST (GOT)", "LN", "U/L", 0, 37, 0, {}, {}},
    {"1742-6", "ALT (GPT)", "LN", "U/L", 0, 40, 0, {}, {}},
    {"1975-2", "Bilirubin toàn phần", "LN", "µmol/L", 0, 17, 1, {}, {}},
}};
constexpr std::array<LabTest, 1> kCrp{{
    {"1988-5", "CRP định lượng", "LN", "mg/L", 0, 5, 1, {}, {}},
}};
constexpr std::array<LabTest, 1> kTroponin{{
    {"67151-1", "Troponin T hs", "LN", "ng/L", 0, 14, 1, {}, {}},
}};
constexpr std::array<LabTest, 1> kHba1c{{
    {"4548-4", "HbA1c", "LN", "%", 4.0, 6.0, 1, {}, {}},
}};
constexpr std::array<LabTest, 4> kUrine{{
    {"PRO-U", "Protein niệu", "L", {}, 0, 0, 0, "Âm tính", "Dương tính 1+"},
    {"GLU-U", "Glucose niệu", "L", {}, 0, 0, 0, "Âm tính", "Dương tính 2+"},
    {"LEU-U", "Bạch cầu niệu", "L", {}, 0, 0, 0, "Âm tính", "Dương tính 1+"},
    {"NIT-U", "Nitrit niệu", "L", {}, 0, 0, 0, "Âm tính", "Dương tính"},
}};
constexpr std::array<LabTest, 2> kCoagulation{{
    {"5902-2", "Thời gian prothrombin (PT)", "LN", "s", 11, 13.5, 1, {}, {}},
    {"6301-6", "INR", "LN", "", 0.8, 1.2, 2, {}, {}},
}};

constexpr std::array<LabPanel, 9> kPanels{{
    {"HH-CTM", "Tổng phân tích tế bào máu ngoại vi", "BLD", "Máu toàn phần", kBloodCount, 5, 5,
     0.35},
    {"SH-DG", "Điện giải đồ, Glucose máu", "SER", "Huyết thanh", kElectrolytes, 3, 4, 0.15},
    {"SH-CN-THAN", "Định lượng Urê, Creatinin máu", "SER", "Huyết thanh", kKidney, 3, 2, 0},
    {"SH-CN-GAN", "Định lượng AST, ALT, Bilirubin", "SER", "Huyết thanh", kLiver, 2, 1, 0},
    {"SH-CRP", "Định lượng CRP", "SER", "Huyết thanh", kCrp, 1.5, 1.5, 0},
    {"SH-TROP", "Định lượng Troponin T hs", "SER", "Huyết thanh", kTroponin, 0.4, 2, 0},
    {"SH-HBA1C", "Định lượng HbA1c", "BLD", "Máu toàn phần", kHba1c, 1, 0, 0},
    {"NT-10TS", "Tổng phân tích nước tiểu 10 thông số", "UR", "Nước tiểu", kUrine, 2, 1, 0},
    {"HH-DM", "Thời gian prothrombin (PT, INR)", "PLAS", "Huyết tương", kCoagulation, 0.8, 1.5, 0},
}};

std::string format(double value, int decimals) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string range_text(const LabTest& test) {
  if (test.low <= 0) {
    return "<" + format(test.high, test.decimals);
  }
  return format(test.low, test.decimals) + "-" + format(test.high, test.decimals);
}

// Outside the range by up to twice its width: beyond half of it the flag is critical.
std::string flag_for(const LabTest& test, double value) {
  const double width = test.high - test.low;
  if (value > test.high) {
    return value > test.high + width ? "HH" : "H";
  }
  if (value < test.low) {
    return value < test.low - width / 2 ? "LL" : "L";
  }
  return "N";
}

}  // namespace

std::span<const LabPanel> lab_panels() { return kPanels; }

const LabPanel& pick_panel(Random& random, bool stat) {
  std::array<double, kPanels.size()> weights{};
  for (std::size_t i = 0; i < kPanels.size(); ++i) {
    weights[i] = stat ? kPanels[i].stat_weight : kPanels[i].weight;
  }
  return kPanels[random.weighted(weights)];
}

Observation observe(Random& random, const LabTest& test, double abnormal_chance) {
  Observation o;
  o.test = &test;
  const bool abnormal = random.chance(abnormal_chance);
  if (!test.numeric()) {
    o.value = std::string(abnormal ? test.abnormal_text : test.normal_text);
    o.flag = abnormal ? "A" : "N";
    o.reference_range = std::string(test.normal_text);
    return o;
  }
  const double width = test.high - test.low;
  double value = test.low + width * (0.2 + 0.6 * random.unit());
  if (abnormal) {
    const double beyond = width * (0.05 + 1.5 * random.unit());
    const bool high = test.low <= 0 || random.chance(0.6);
    value = high ? test.high + beyond : std::max(test.low - beyond, test.low * 0.3);
  }
  const double step = std::pow(10.0, -test.decimals);
  value = std::round(value / step) * step;
  o.value = format(value, test.decimals);
  o.flag = flag_for(test, value);
  o.reference_range = range_text(test);
  return o;
}

}  // namespace hisbridge::simulate
