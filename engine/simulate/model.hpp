#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "engine/simulate/hospital.hpp"
#include "engine/simulate/lab_catalog.hpp"
#include "engine/simulate/people.hpp"
#include "engine/simulate/rad_catalog.hpp"
#include "engine/simulate/sim_time.hpp"

namespace hisbridge::simulate {

// The timeline of a simulated day, before any message is written: what happened to whom and
// when. A time of 0 means the step does not happen (no preliminary, no correction).

enum class Priority { stat, routine };

// The priority code the stock mappings read (TQ1-9, OBR-27.6, ORC-7.6): S or R.
inline char priority_code(Priority p) { return p == Priority::stat ? 'S' : 'R'; }

struct LabOrder {
  std::string order_no;     // ORC-2: the HIS's (placer) number
  std::string filler_no;    // ORC-3: the LIS's
  std::string specimen_id;  // SPM-2
  const LabPanel* panel = nullptr;
  Priority priority = Priority::routine;
  Clinician doctor;
  SimTime ordered = 0;
  SimTime collected = 0;
  SimTime received = 0;
  SimTime preliminary = 0;
  SimTime final_at = 0;     // when the final result is sent
  SimTime final_stamp = 0;  // what its OBR-22 says: final_at, or before `received` when skewed
  SimTime corrected = 0;
  bool late = false;
  bool skewed = false;
  std::vector<Observation> results;
  std::size_t corrected_index = 0;  // the result a correction changes
  Observation correction;           // and its corrected value
};

struct RadOrder {
  std::string order_no;      // ORC-2: the HIS's number
  std::string filler_no;     // ORC-3: the RIS's
  std::string accession_no;  // OBR-18, IPC-1
  std::string study_uid;     // IPC-3
  const RadService* service = nullptr;
  Priority priority = Priority::routine;
  bool abnormal = false;
  Clinician doctor;
  Clinician radiologist;  // signs the final (and the correction)
  Clinician resident;     // reads the preliminary
  SimTime ordered = 0;
  SimTime started = 0;
  SimTime completed = 0;
  SimTime preliminary = 0;
  SimTime final_at = 0;
  SimTime corrected = 0;
  bool late = false;
};

struct Visit {
  const Hospital* hospital = nullptr;
  const Department* department = nullptr;
  Patient patient;
  std::string visit_no;  // PV1-19
  std::string room;      // PL-2
  std::string bed;       // PL-3
  Clinician doctor;      // PV1-7
  SimTime registered = 0;
  std::vector<LabOrder> labs;
  std::vector<RadOrder> rads;

  // ADT^A01 (admission) for inpatients, ADT^A04 (registration) for outpatients and the
  // emergency department.
  bool admitted() const { return department->visit_class == 'I'; }
  // The first specimen collection or exam start: the end of the patient's wait.
  SimTime first_service() const;
};

}  // namespace hisbridge::simulate
