#pragma once

#include <span>
#include <string_view>

#include "engine/simulate/random.hpp"

namespace hisbridge::simulate {

// A report's wording: findings (OBX-3 `18782-3&GDT`, one OBX per line) and the conclusion
// (`18782-3&IMP`), which the RIS stock mapping splits by the code's IMP suffix.
struct ReportText {
  std::span<const std::string_view> findings;
  std::string_view conclusion;
};

// An orderable imaging exam (OBR-4) on one kind of equipment (OBR-24, DICOM modality).
struct RadService {
  std::string_view code;
  std::string_view name;
  std::string_view modality;  // CR, US, CT, MR
  DelayRange exam;            // minutes from exam start to its end
  ReportText normal;
  ReportText abnormal;
  double weight = 1;       // how often it is ordered
  double stat_weight = 1;  // how often among STAT orders
  double preliminary = 0;  // share read first by a resident (status P) before the final
};

std::span<const RadService> rad_services();
const RadService& pick_service(Random& random, bool stat);

}  // namespace hisbridge::simulate
