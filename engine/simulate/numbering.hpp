#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/simulate/hospital.hpp"
#include "engine/simulate/sim_time.hpp"

namespace hisbridge::simulate {

// The numbers a hospital's systems give out: patient, visit, order, specimen and accession
// numbers in the forms Vietnamese HIS, LIS and RIS print (XN260305-0101, KB2603050017), and
// MSH-10 control ids. Every number holds a three-letter run tag made from the seed (13,824
// tags), so two runs with different seeds almost never write to each other's HIS rows, nor
// does the engine's duplicate check (sender, facility, MSH-10) take a new run's message for an
// old one; the same seed gives the same numbers. Serials run across all the run's hospitals,
// so that their orders and visits never share a number in the one HIS database they go to.
class Numbering {
 public:
  Numbering(std::uint64_t seed, UtcOffset offset);

  const std::string& run_tag() const { return tag_; }

  std::string patient_id(const Hospital& h, SimTime t);
  // KB (outpatient clinic), CC (emergency) or NT (inpatient) by the visit class.
  std::string visit_no(char visit_class, SimTime t);
  std::string lab_order_no(SimTime t);
  std::string lab_filler_no(SimTime t);
  std::string specimen_id(SimTime t);
  std::string rad_order_no(SimTime t);
  std::string rad_filler_no(SimTime t);
  std::string accession_no(std::string_view modality, SimTime t);
  // MSH-10 for a message of `app` (HIS, LIS or RIS) sent at `t`, unique in the run.
  std::string control_id(const Hospital& h, std::string_view app, SimTime t);

 private:
  struct Counters {
    std::uint64_t patient = 0, visit = 0, lab = 0, rad = 0, message = 0;
  };

  std::string number(std::string_view prefix, SimTime t, std::string_view separator,
                     std::uint64_t& counter, int width);

  std::string tag_;
  UtcOffset offset_;
  Counters counters_;
};

}  // namespace hisbridge::simulate
