#pragma once

#include <string>

#include "engine/simulate/hospital.hpp"
#include "engine/simulate/random.hpp"
#include "engine/simulate/sim_time.hpp"

namespace hisbridge::simulate {

// A patient as PID carries one. Names are in Vietnamese order: family, middle, given
// (PID-5 XPN-1, XPN-3, XPN-2), which the stock mappings join as `Nguyễn Thị Hoa`.
struct Patient {
  std::string id;            // PID-3 CX-1 with CX-5 PI
  std::string insurance_no;  // PID-3 CX-1 with CX-5 HC (health insurance card); may be empty
  std::string family;
  std::string middle;
  std::string given;
  std::string birth_date;  // YYYYMMDD
  char sex = 'F';
  std::string street;       // XAD-1: hamlet, group or house number
  std::string commune;      // XAD-2
  std::string district;     // XAD-3
  std::string province;     // XAD-4
  std::string ethnic_code;  // PID-22, the Ministry of Health's code (01 Kinh)
  std::string ethnic_name;

  std::string full_name() const { return family + " " + middle + " " + given; }
};

// A doctor or a radiologist: an XCN (id^family^given^middle^^title), or in OBR-32 the
// sub-components of an NDL name (id&family&given&middle&&title).
struct Clinician {
  std::string id;
  std::string family;
  std::string middle;
  std::string given;
  std::string title;  // BS., BS.CKI, ThS.BS.

  std::string full_name() const { return family + " " + middle + " " + given; }
};

// A new patient of `hospital`, aged 0-15 when `pediatric`, born before `today`.
Patient make_patient(Random& random, const Hospital& hospital, bool pediatric, SimTime today,
                     std::string id);

// A clinician of the hospital's staff: ordering doctors and radiologists.
Clinician pick_doctor(Random& random);
Clinician pick_radiologist(Random& random);

}  // namespace hisbridge::simulate
