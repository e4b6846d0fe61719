// The laboratory messages of an order: the HIS's new order, the LIS's status updates when the
// specimen is drawn and when it arrives, and its results (preliminary, final, corrected).
#include <algorithm>

#include "engine/simulate/message_factory.hpp"

namespace hisbridge::simulate {
namespace {

bool oml(const Visit& v) { return v.hospital->lab_style == LabStyle::oml_o21; }

std::string test_ce(const LabTest& t) { return components({t.code, t.name, t.coding}); }

SegmentWriter obx(std::size_t set_id, const Observation& o, std::string_view status,
                  const std::string& observed) {
  const LabTest& t = *o.test;
  SegmentWriter s("OBX");
  s.set(1, std::to_string(set_id))
      .set(2, t.numeric() ? "NM" : "ST")
      .set_raw(3, test_ce(t))
      .set(5, o.value)
      .set(6, t.unit)
      .set(7, o.reference_range)
      .set(8, o.flag)
      .set(11, status)
      .set(14, observed);
  return s;
}

// A text result that says what the correction changed, as laboratories write it.
Observation correction_note(const LabOrder& o) {
  static constexpr LabTest kNote{"NOTE", "Ghi chú", "L", {}, 0, 0, 0, "-", "-"};
  const Observation& before = o.results[o.corrected_index];
  Observation note;
  note.test = &kNote;
  note.value = "Đính chính: " + std::string(before.test->name) + " làm lại, kết quả trước " +
               before.value + (before.test->unit.empty() ? "" : " ") +
               std::string(before.test->unit) + " (mẫu tán huyết).";
  return note;
}

}  // namespace

void MessageFactory::lab_messages(const Visit& v, const LabOrder& o, std::vector<Outgoing>& out) {
  out.push_back(lab_new_order(v, o));
  out.push_back(lab_status(v, o, Step::lab_collected));
  out.push_back(lab_status(v, o, Step::lab_received));
  if (o.preliminary != 0) {
    out.push_back(lab_result(v, o, Step::lab_preliminary));
  }
  out.push_back(lab_result(v, o, Step::lab_final));
  if (o.corrected != 0) {
    out.push_back(lab_result(v, o, Step::lab_corrected));
  }
}

SegmentWriter MessageFactory::lab_obr(const LabOrder& o, bool with_filler) const {
  SegmentWriter s("OBR");
  s.set(1, "1")
      .set_raw(2, components({o.order_no, "HIS"}))
      .set_raw(4, components({o.panel->code, o.panel->name, "BYT_DVKT"}))
      .set(6, time(o.ordered))
      .set_raw(27, tq_priority(o.priority));
  if (with_filler) {
    s.set_raw(3, components({o.filler_no, "LIS"}));
  }
  return s;
}

Outgoing MessageFactory::lab_new_order(const Visit& v, const LabOrder& o) {
  const Header header{"HIS", "LIS", oml(v) ? "OML^O21^OML_O21" : "ORM^O01^ORM_O01",
                      oml(v) ? "2.5.1" : "2.5"};
  MessageWriter m;
  Outgoing out = start(v, o.ordered, Step::lab_order, Destination::lis, header, m);
  out.order_no = o.order_no;
  add_patient(v, m);
  SegmentWriter orc("ORC");
  orc.set(1, "NW")
      .set_raw(2, components({o.order_no, "HIS"}))
      .set(5, "SC")
      .set(9, time(o.ordered))
      .set_raw(12, xcn(o.doctor))
      .set_raw(17, department_ce(v));
  if (!oml(v)) {
    orc.set_raw(7, tq_priority(o.priority));
  }
  m.add(orc);
  if (oml(v)) {
    m.add(SegmentWriter("TQ1").set(1, "1").set_raw(9, tq1_priority(o.priority)));
  }
  m.add(lab_obr(o, false));
  out.bytes = m.bytes();
  return out;
}

// ORC-5 IP with the times known so far: OBR-7/OBR-14 in ORM^O01, SPM-17/SPM-18 in OML^O21.
Outgoing MessageFactory::lab_status(const Visit& v, const LabOrder& o, Step step) {
  const Header header{"LIS", "HIS", oml(v) ? "OML^O21^OML_O21" : "ORM^O01^ORM_O01",
                      oml(v) ? "2.5.1" : "2.5"};
  const bool received = step == Step::lab_received;
  const SimTime at = received ? o.received : o.collected;
  MessageWriter m;
  Outgoing out = start(v, at, step, Destination::lis, header, m);
  out.order_no = o.order_no;
  add_patient(v, m);
  SegmentWriter orc("ORC");
  orc.set(1, "SC")
      .set_raw(2, components({o.order_no, "HIS"}))
      .set_raw(3, components({o.filler_no, "LIS"}))
      .set(5, "IP")
      .set(9, time(o.ordered));
  m.add(orc);
  SegmentWriter obr = lab_obr(o, true);
  if (oml(v)) {
    m.add(SegmentWriter("TQ1").set(1, "1").set_raw(9, tq1_priority(o.priority)));
    m.add(obr);
    SegmentWriter spm("SPM");
    spm.set(1, "1")
        .set(2, o.specimen_id)
        .set_raw(4, components({o.panel->specimen_code, o.panel->specimen_name, "HL70487"}))
        .set(17, time(o.collected));
    if (received) {
      spm.set(18, time(o.received));
    }
    m.add(spm);
  } else {
    obr.set(7, time(o.collected));
    if (received) {
      obr.set(14, time(o.received));
    }
    m.add(obr);
  }
  out.bytes = m.bytes();
  return out;
}

Outgoing MessageFactory::lab_result(const Visit& v, const LabOrder& o, Step step) {
  const Header header{"LIS", "HIS", "ORU^R01^ORU_R01", oml(v) ? "2.5.1" : "2.5"};
  const SimTime at = step == Step::lab_preliminary ? o.preliminary
                     : step == Step::lab_final     ? o.final_at
                                                   : o.corrected;
  const SimTime stamp = step == Step::lab_final ? o.final_stamp : at;
  const std::string_view status = step == Step::lab_preliminary ? "P"
                                  : step == Step::lab_final     ? "F"
                                                                : "C";
  MessageWriter m;
  Outgoing out = start(v, at, step, Destination::lis, header, m);
  out.order_no = o.order_no;
  add_patient(v, m);
  SegmentWriter orc("ORC");
  orc.set(1, "RE")
      .set_raw(2, components({o.order_no, "HIS"}))
      .set_raw(3, components({o.filler_no, "LIS"}))
      .set(5, "CM")
      .set(9, time(o.ordered));
  m.add(orc);
  SegmentWriter obr = lab_obr(o, true);
  obr.set(7, time(o.collected)).set(14, time(o.received)).set(22, time(stamp)).set(25, status);
  m.add(obr);
  // A preliminary report has what the first analyser gave; the rest comes with the final.
  const std::size_t count = step == Step::lab_preliminary
                                ? std::max<std::size_t>(1, o.results.size() / 2)
                                : o.results.size();
  const std::string observed = time(stamp - 4 * kMinute);
  for (std::size_t i = 0; i < count; ++i) {
    const bool changed = step == Step::lab_corrected && i == o.corrected_index;
    const std::string_view result_status = step == Step::lab_corrected && !changed ? "F" : status;
    m.add(obx(i + 1, changed ? o.correction : o.results[i], result_status, observed));
  }
  if (step == Step::lab_corrected) {
    m.add(obx(count + 1, correction_note(o), "C", observed));
  }
  out.bytes = m.bytes();
  return out;
}

}  // namespace hisbridge::simulate
