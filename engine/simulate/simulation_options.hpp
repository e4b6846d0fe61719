#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/simulate/sim_time.hpp"

namespace hisbridge::simulate {

// What a simulated run covers and how often the irregular things happen. The rates are
// shares: of orders for `late_rate`, of final results and reports for `corrected_rate`, of
// laboratory finals for `skew_rate`, of all messages for `malformed_rate`.
struct SimulationOptions {
  std::uint64_t seed = 1;
  std::size_t hospitals = 1;
  std::size_t patients_per_day = 300;  // registrations per hospital per local day
  SimTime start = 0;                   // the first registration is at or after it
  SimTime duration = kDay;             // messages at or after start + duration are not made
  UtcOffset offset;                    // the hospitals' zone, written in every timestamp
  // Results and reports that come later than the turnaround target (a broken analyser, a
  // report left for the next day): the dashboard's breaches.
  double late_rate = 0.05;
  // A final result or report followed by a corrected one (status C).
  double corrected_rate = 0.02;
  // A laboratory final stamped by a clock that runs a few minutes slow, so its time is before
  // the specimen's receipt: an invalid interval the engine counts and leaves out.
  double skew_rate = 0.01;
  // A message made unreadable (bad UTF-8, a line break inside a value, a lost header): the
  // engine stores it as rejected and answers AR.
  double malformed_rate = 0.005;
};

}  // namespace hisbridge::simulate
