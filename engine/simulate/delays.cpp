#include "engine/simulate/delays.hpp"

namespace hisbridge::simulate {
namespace {

// STAT: the specimen is drawn at the bedside within minutes and walked to the laboratory;
// routine: drawn when the phlebotomist comes round, sent up in batches, run in batches.
constexpr LabDelays kLabStat{{2, 5, 12}, {3, 8, 15}, {15, 25, 40}, {45, 60, 120}};
constexpr LabDelays kLabRoutine{{2, 6, 30}, {10, 30, 90}, {40, 90, 210}, {190, 240, 480}};

// Routine reports may wait for the next reading session; a late one slips past a day.
constexpr RadDelays kRadStat{{5, 15, 40}, {10, 25, 55}, {55, 90, 240}};
constexpr RadDelays kRadRoutine{{10, 40, 180}, {30, 180, 900}, {1420, 1500, 2000}};

constexpr DelayRange kOutpatientToOrder{2, 8, 25};
constexpr DelayRange kEmergencyToOrder{2, 5, 15};
constexpr DelayRange kInpatientToOrder{3, 12, 40};

}  // namespace

const LabDelays& lab_delays(Priority priority) {
  return priority == Priority::stat ? kLabStat : kLabRoutine;
}

const RadDelays& rad_delays(Priority priority) {
  return priority == Priority::stat ? kRadStat : kRadRoutine;
}

const DelayRange& registration_to_order(char visit_class) {
  switch (visit_class) {
    case 'E':
      return kEmergencyToOrder;
    case 'I':
      return kInpatientToOrder;
    default:
      return kOutpatientToOrder;
  }
}

}  // namespace hisbridge::simulate
