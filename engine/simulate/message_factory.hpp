#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/simulate/er7_writer.hpp"
#include "engine/simulate/model.hpp"
#include "engine/simulate/numbering.hpp"
#include "engine/simulate/outgoing.hpp"

namespace hisbridge::simulate {

// Writes every message of a visit as the hospital's HIS, LIS and RIS would send them, in the
// forms the stock mappings read (stock-mapping.md): UTF-8 with MSH-18 `UNICODE UTF-8`, times
// with the hospital's offset, the patient and visit in every message (PID, PV1 with PV1-44),
// and ORC-9 holding the order's time in every laboratory message, so that no later message
// moves it. A message is made for every step, also those after the end of the simulated span;
// the caller keeps the ones it wants.
class MessageFactory {
 public:
  MessageFactory(Numbering& numbering, UtcOffset offset) : numbering_(numbering), offset_(offset) {}

  std::vector<Outgoing> visit_messages(const Visit& visit);

 private:
  struct Header {
    std::string_view sender;  // HIS, LIS or RIS
    std::string_view receiver;
    std::string_view type;     // MSH-9: ORU^R01^ORU_R01
    std::string_view version;  // MSH-12
  };

  // Writes MSH into `message` and fills in what the Outgoing knows so far.
  Outgoing start(const Visit& v, SimTime at, Step step, Destination destination,
                 const Header& header, MessageWriter& message);
  // PID and PV1.
  void add_patient(const Visit& v, MessageWriter& message) const;
  std::string time(SimTime t) const { return hl7_time(t, offset_); }
  SegmentWriter pid(const Patient& p, const Hospital& h) const;
  SegmentWriter pv1(const Visit& v) const;
  std::string department_ce(const Visit& v) const;
  Outgoing registration(const Visit& v);

  void lab_messages(const Visit& v, const LabOrder& o, std::vector<Outgoing>& out);
  Outgoing lab_new_order(const Visit& v, const LabOrder& o);
  Outgoing lab_status(const Visit& v, const LabOrder& o, Step step);
  Outgoing lab_result(const Visit& v, const LabOrder& o, Step step);
  SegmentWriter lab_obr(const LabOrder& o, bool with_filler) const;

  void rad_messages(const Visit& v, const RadOrder& o, std::vector<Outgoing>& out);
  Outgoing rad_new_order(const Visit& v, const RadOrder& o);
  Outgoing rad_status(const Visit& v, const RadOrder& o, Step step);
  Outgoing rad_report(const Visit& v, const RadOrder& o, Step step);
  SegmentWriter rad_obr(const RadOrder& o, bool with_filler) const;

  Numbering& numbering_;
  UtcOffset offset_;
};

// An XCN (id^family^given^middle^^title) and an OBR-32 NDL name (id&family&given&middle&&title).
std::string xcn(const Clinician& c);
std::string ndl(const Clinician& c);
// TQ1-9 (HL7 table 0485): S^Cấp cứu or R^Thường quy.
std::string tq1_priority(Priority p);
// The sixth component of a TQ field (OBR-27, ORC-7): ^^^^^S.
std::string tq_priority(Priority p);

}  // namespace hisbridge::simulate
