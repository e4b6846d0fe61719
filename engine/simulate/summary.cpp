#include "engine/simulate/summary.hpp"

namespace hisbridge::simulate {

std::string summary_text(const SimulationOptions& options, const TrafficGenerator& traffic,
                         const RunReport* report, const std::string& lis_address,
                         const std::string& ris_address) {
  const TrafficCounts& c = traffic.counts();
  std::string s;
  s += "simulated: seed " + std::to_string(options.seed) + ", run tag " + traffic.run_tag() + ", " +
       std::to_string(options.hospitals) + " hospital(s), " +
       std::to_string(options.patients_per_day) + " patients a day each, " +
       iso_time(options.start, options.offset) + " to " + iso_time(traffic.end(), options.offset) +
       "\n";
  s += "made: " + std::to_string(c.messages) + " messages (lis " + std::to_string(c.lis) +
       ", ris " + std::to_string(c.ris) + "), " + std::to_string(c.visits) + " visits, " +
       std::to_string(c.lab_orders) + " lab orders, " + std::to_string(c.rad_orders) +
       " radiology orders, " + std::to_string(c.late_orders) + " late, " +
       std::to_string(c.step(Step::lab_corrected) + c.step(Step::rad_corrected)) + " corrected, " +
       std::to_string(c.skewed_finals) + " skewed clock, " + std::to_string(c.malformed) +
       " malformed\n";
  s += "steps:";
  for (std::size_t i = 0; i < kStepCount; ++i) {
    s += (i == 0 ? " " : ", ") + std::string(step_name(static_cast<Step>(i))) + " " +
         std::to_string(c.by_step[i]);
  }
  s += "\n";
  if (report != nullptr) {
    s += "lis " + lis_address + ": " + tally_line(report->tally(Destination::lis)) + "\n";
    s += "ris " + ris_address + ": " + tally_line(report->tally(Destination::ris)) + "\n";
    const std::size_t unexpected =
        report->tally(Destination::lis).unexpected + report->tally(Destination::ris).unexpected;
    if (unexpected > 0) {
      s += "unexpected: " + std::to_string(unexpected) +
           " ACK(s) did not match the message (a negative ACK to a well-formed message, or a "
           "positive one to a malformed message)\n";
    }
  }
  return s;
}

}  // namespace hisbridge::simulate
