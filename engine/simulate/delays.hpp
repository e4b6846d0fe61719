#pragma once

#include "engine/simulate/model.hpp"
#include "engine/simulate/random.hpp"

namespace hisbridge::simulate {

// How long each step takes, in minutes, by priority. The ranges are chosen against the stock
// turnaround targets (stock-mapping.md): a STAT laboratory order is final 20-67 minutes after
// it is placed (target 60: a few breach), a routine one 52-330 minutes after (target 240), and
// a late order adds enough to breach its target whatever the other draws were.

struct LabDelays {
  DelayRange order_to_collect;
  DelayRange collect_to_receive;
  DelayRange receive_to_final;
  DelayRange late_extra;  // added to receive_to_final for a late order
};

struct RadDelays {
  DelayRange order_to_start;
  DelayRange complete_to_report;
  DelayRange late_extra;  // added to complete_to_report for a late order
};

const LabDelays& lab_delays(Priority priority);
const RadDelays& rad_delays(Priority priority);

// From registration to the visit's first order: the consultation (outpatients), triage
// (emergency) or the ward round (inpatients).
const DelayRange& registration_to_order(char visit_class);
// From one order of a visit to the next one placed at the same consultation.
inline constexpr DelayRange kBetweenOrders{0, 1, 5};
// From a final result or report to its correction.
inline constexpr DelayRange kFinalToCorrection{20, 60, 300};
// How far before the specimen's receipt a slow clock stamps a skewed final.
inline constexpr DelayRange kSkewBeforeReceipt{1, 3, 8};

// The turnaround targets the ranges are chosen against, in minutes (stock-mapping.md).
inline constexpr double kLabOrderToFinalTarget[] = {60, 240};   // S, R
inline constexpr double kRadExamToReportTarget[] = {60, 1440};  // S, R
inline constexpr double kPatientWaitTarget = 30;

inline double lab_target_minutes(Priority p) {
  return kLabOrderToFinalTarget[p == Priority::stat ? 0 : 1];
}
inline double rad_target_minutes(Priority p) {
  return kRadExamToReportTarget[p == Priority::stat ? 0 : 1];
}

}  // namespace hisbridge::simulate
