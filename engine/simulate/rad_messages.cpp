// The radiology messages of an order: the HIS's new order, the RIS's exam started (ORC-5 IP)
// and completed (CM) updates, and the radiologist's report (preliminary, final, corrected).
#include "engine/simulate/message_factory.hpp"

namespace hisbridge::simulate {
namespace {

bool omi(const Visit& v) { return v.hospital->rad_style == RadStyle::omi_o23; }

// LOINC 18782-3 (radiology study observation) with a suffix, as RIS vendors send it: GDT for
// the findings, IMP for the impression, which the RIS stock mapping takes as the conclusion.
std::string report_code(std::string_view suffix, std::string_view name) {
  return subcomponents({"18782-3", suffix}) + "^" + escaped(name) + "^LN";
}

SegmentWriter report_obx(std::size_t set_id, std::string_view suffix, std::string_view name,
                         std::string_view text, std::string_view status,
                         const std::string& observed) {
  SegmentWriter s("OBX");
  s.set(1, std::to_string(set_id))
      .set(2, "TX")
      .set_raw(3, report_code(suffix, name))
      .set(5, text)
      .set(11, status)
      .set(14, observed);
  return s;
}

// The findings, one OBX a line, then the conclusion; a resident's reading says it is
// preliminary, a correction says what it adds.
void add_report_text(MessageWriter& m, const RadOrder& o, Step step, std::string_view status,
                     const std::string& observed) {
  const ReportText& text = o.abnormal ? o.service->abnormal : o.service->normal;
  std::size_t n = 0;
  for (const std::string_view line : text.findings) {
    m.add(report_obx(++n, "GDT", "Mô tả", line, status, observed));
  }
  std::string conclusion(text.conclusion);
  if (step == Step::rad_preliminary) {
    conclusion += " (đọc sơ bộ, chờ bác sĩ chính duyệt)";
  }
  m.add(report_obx(++n, "IMP", "Kết luận", conclusion, status, observed));
  if (step == Step::rad_corrected) {
    m.add(report_obx(++n, "IMP", "Kết luận",
                     "Đính chính: bổ sung mô tả bị bỏ sót ở bản trả lời trước.", status, observed));
  }
}

}  // namespace

void MessageFactory::rad_messages(const Visit& v, const RadOrder& o, std::vector<Outgoing>& out) {
  out.push_back(rad_new_order(v, o));
  out.push_back(rad_status(v, o, Step::rad_started));
  out.push_back(rad_status(v, o, Step::rad_completed));
  if (o.preliminary != 0) {
    out.push_back(rad_report(v, o, Step::rad_preliminary));
  }
  out.push_back(rad_report(v, o, Step::rad_final));
  if (o.corrected != 0) {
    out.push_back(rad_report(v, o, Step::rad_corrected));
  }
}

SegmentWriter MessageFactory::rad_obr(const RadOrder& o, bool with_filler) const {
  SegmentWriter s("OBR");
  s.set(1, "1")
      .set_raw(2, components({o.order_no, "HIS"}))
      .set_raw(4, components({o.service->code, o.service->name, "BYT_DVKT"}))
      .set(6, time(o.ordered))
      .set(24, o.service->modality)
      .set_raw(27, tq_priority(o.priority));
  if (with_filler) {
    s.set_raw(3, components({o.filler_no, "RIS"}));
  }
  return s;
}

Outgoing MessageFactory::rad_new_order(const Visit& v, const RadOrder& o) {
  const Header header{"HIS", "RIS", omi(v) ? "OMI^O23^OMI_O23" : "ORM^O01^ORM_O01",
                      omi(v) ? "2.5.1" : "2.5"};
  MessageWriter m;
  Outgoing out = start(v, o.ordered, Step::rad_order, Destination::ris, header, m);
  out.order_no = o.order_no;
  add_patient(v, m);
  SegmentWriter orc("ORC");
  orc.set(1, "NW")
      .set_raw(2, components({o.order_no, "HIS"}))
      .set(5, "SC")
      .set(9, time(o.ordered))
      .set_raw(12, xcn(o.doctor))
      .set_raw(17, department_ce(v));
  m.add(orc);
  if (omi(v)) {
    m.add(SegmentWriter("TQ1").set(1, "1").set_raw(9, tq1_priority(o.priority)));
  }
  m.add(rad_obr(o, false).set(13, o.abnormal ? "Đau, nghi có tổn thương" : "Khám kiểm tra"));
  out.bytes = m.bytes();
  return out;
}

// ORC-5 IP (exam started) or CM (completed) with ORC-9 the time it happened; OBR-6 keeps the
// order's time, the only one the RIS mapping reads from such an update.
Outgoing MessageFactory::rad_status(const Visit& v, const RadOrder& o, Step step) {
  const Header header{"RIS", "HIS", omi(v) ? "OMI^O23^OMI_O23" : "ORM^O01^ORM_O01",
                      omi(v) ? "2.5.1" : "2.5"};
  const bool started = step == Step::rad_started;
  const SimTime at = started ? o.started : o.completed;
  MessageWriter m;
  Outgoing out = start(v, at, step, Destination::ris, header, m);
  out.order_no = o.order_no;
  add_patient(v, m);
  SegmentWriter orc("ORC");
  orc.set(1, "SC")
      .set_raw(2, components({o.order_no, "HIS"}))
      .set_raw(3, components({o.filler_no, "RIS"}))
      .set(5, started ? "IP" : "CM")
      .set(9, time(at));
  m.add(orc);
  if (omi(v)) {
    m.add(SegmentWriter("TQ1").set(1, "1").set_raw(9, tq1_priority(o.priority)));
  }
  m.add(rad_obr(o, true));
  if (omi(v)) {
    SegmentWriter ipc("IPC");
    ipc.set(1, o.accession_no).set(2, o.filler_no).set(3, o.study_uid).set(5, o.service->modality);
    m.add(ipc);
  }
  out.bytes = m.bytes();
  return out;
}

Outgoing MessageFactory::rad_report(const Visit& v, const RadOrder& o, Step step) {
  const Header header{"RIS", "HIS", "ORU^R01^ORU_R01", "2.5"};
  const SimTime at = step == Step::rad_preliminary ? o.preliminary
                     : step == Step::rad_final     ? o.final_at
                                                   : o.corrected;
  const std::string_view status = step == Step::rad_preliminary ? "P"
                                  : step == Step::rad_final     ? "F"
                                                                : "C";
  MessageWriter m;
  Outgoing out = start(v, at, step, Destination::ris, header, m);
  out.order_no = o.order_no;
  add_patient(v, m);
  SegmentWriter orc("ORC");
  orc.set(1, "RE")
      .set_raw(2, components({o.order_no, "HIS"}))
      .set_raw(3, components({o.filler_no, "RIS"}))
      .set(5, "CM")
      .set(9, time(o.ordered));
  m.add(orc);
  const Clinician& reader = step == Step::rad_preliminary ? o.resident : o.radiologist;
  SegmentWriter obr = rad_obr(o, true);
  obr.set(7, time(o.started))
      .set(8, time(o.completed))
      .set(18, o.accession_no)
      .set(22, time(at))
      .set(25, status)
      .set_raw(32, ndl(reader));
  m.add(obr);
  add_report_text(m, o, step, status, time(at));
  out.bytes = m.bytes();
  return out;
}

}  // namespace hisbridge::simulate
