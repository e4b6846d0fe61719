#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/simulate/sim_time.hpp"

namespace hisbridge::simulate {

// Which listener a message goes to: the LIS channel (2575) or the RIS channel (2576).
enum class Destination { lis, ris };

// What a message tells, in the order a visit's messages come.
enum class Step {
  registration,     // ADT^A04 or ADT^A01
  lab_order,        // ORM^O01 / OML^O21 new order (ORC-1 NW)
  lab_collected,    // status update: the specimen is drawn
  lab_received,     // status update: the laboratory has it
  lab_preliminary,  // ORU^R01, OBR-25 P
  lab_final,        // ORU^R01, OBR-25 F
  lab_corrected,    // ORU^R01, OBR-25 C
  rad_order,        // ORM^O01 / OMI^O23 new order
  rad_started,      // ORC-5 IP
  rad_completed,    // ORC-5 CM
  rad_preliminary,  // ORU^R01 report, OBR-25 P
  rad_final,        // ORU^R01 report, OBR-25 F
  rad_corrected,    // ORU^R01 report, OBR-25 C
};

inline constexpr std::size_t kStepCount = 13;

std::string_view step_name(Step step);
std::string_view destination_name(Destination destination);

// One message of the simulated day, ready to send at its simulated time.
struct Outgoing {
  SimTime at = 0;
  Destination destination = Destination::lis;
  Step step = Step::registration;
  std::string message_type;  // MSH-9 as `ORU^R01`
  std::string control_id;    // MSH-10
  std::string visit_no;
  std::string order_no;  // empty for a registration
  // Made unreadable on purpose (malformed.hpp): the engine must answer AR.
  bool malformed = false;
  std::string malformed_kind;
  std::string bytes;           // ER7, each segment ending in CR
  std::uint64_t sequence = 0;  // the order it was made in: keeps equal times in order
};

}  // namespace hisbridge::simulate
