#include "engine/simulate/message_factory.hpp"

namespace hisbridge::simulate {

std::string xcn(const Clinician& c) {
  return components({c.id, c.family, c.given, c.middle, "", c.title});
}

std::string ndl(const Clinician& c) {
  return subcomponents({c.id, c.family, c.given, c.middle, "", c.title});
}

std::string tq1_priority(Priority p) {
  return p == Priority::stat ? components({"S", "Cấp cứu", "HL70485"})
                             : components({"R", "Thường quy", "HL70485"});
}

std::string tq_priority(Priority p) { return std::string("^^^^^") + priority_code(p); }

std::vector<Outgoing> MessageFactory::visit_messages(const Visit& visit) {
  std::vector<Outgoing> out;
  out.push_back(registration(visit));
  for (const LabOrder& o : visit.labs) {
    lab_messages(visit, o, out);
  }
  for (const RadOrder& o : visit.rads) {
    rad_messages(visit, o, out);
  }
  return out;
}

Outgoing MessageFactory::start(const Visit& v, SimTime at, Step step, Destination destination,
                               const Header& header, MessageWriter& message) {
  const Hospital& h = *v.hospital;
  const std::string app = std::string(header.sender) + "_" + h.short_code;
  const std::string receiver = std::string(header.receiver) + "_" + h.short_code;
  Outgoing o;
  o.at = at;
  o.destination = destination;
  o.step = step;
  const std::string_view type = header.type;
  o.message_type = std::string(type.substr(0, type.rfind('^')));
  o.control_id = numbering_.control_id(h, header.sender, at);
  o.visit_no = v.visit_no;
  // MSH-15 AL, MSH-16 NE: an accept ACK always, no application ACK (v2.5.1 §2.9.3).
  message.add_raw("MSH|^~\\&|" + escaped(app) + "|" + escaped(h.code) + "|" + escaped(receiver) +
                  "|" + escaped(h.code) + "|" + time(at) + "||" + std::string(type) + "|" +
                  o.control_id + "|P|" + std::string(header.version) +
                  "|||AL|NE|VNM|UNICODE UTF-8");
  return o;
}

void MessageFactory::add_patient(const Visit& v, MessageWriter& message) const {
  message.add(pid(v.patient, *v.hospital));
  message.add(pv1(v));
}

SegmentWriter MessageFactory::pid(const Patient& p, const Hospital& h) const {
  std::string ids = components({p.id, "", "", h.code, "PI"});
  if (!p.insurance_no.empty()) {
    ids += "~" + components({p.insurance_no, "", "", "BHXH", "HC"});
  }
  SegmentWriter s("PID");
  s.set(1, "1")
      .set_raw(3, ids)
      .set_raw(5, components({p.family, p.given, p.middle, "", "", "", "L"}))
      .set(7, p.birth_date)
      .set(8, std::string(1, p.sex))
      .set_raw(11, components({p.street, p.commune, p.district, p.province, "", "VNM", "H"}))
      .set_raw(22, components({p.ethnic_code, p.ethnic_name, "DM_DANTOC_BYT"}));
  return s;
}

SegmentWriter MessageFactory::pv1(const Visit& v) const {
  const Hospital& h = *v.hospital;
  const Department& d = *v.department;
  SegmentWriter s("PV1");
  // PL-9, the location description, carries the department's name beside its code.
  s.set(1, "1")
      .set(2, std::string(1, d.visit_class))
      .set_raw(3, components({d.code, v.room, v.bed, h.code, "", "", "", "", d.name}))
      .set_raw(7, xcn(v.doctor))
      .set_raw(19, components({v.visit_no, "", "", h.code, "VN"}))
      .set(44, time(v.registered));
  return s;
}

std::string MessageFactory::department_ce(const Visit& v) const {
  return components({v.department->code, v.department->name, "L"});
}

Outgoing MessageFactory::registration(const Visit& v) {
  const bool admitted = v.admitted();
  const Header header{"HIS", v.labs.empty() ? "RIS" : "LIS",
                      admitted ? "ADT^A01^ADT_A01" : "ADT^A04^ADT_A01", "2.5"};
  MessageWriter message;
  // The registration is sent to the system of the visit's first order: its ADT feed.
  const Destination to = v.labs.empty() ? Destination::ris : Destination::lis;
  Outgoing o = start(v, v.registered, Step::registration, to, header, message);
  SegmentWriter evn("EVN");
  evn.set(1, admitted ? "A01" : "A04").set(2, time(v.registered)).set(6, time(v.registered));
  message.add(evn);
  add_patient(v, message);
  o.bytes = message.bytes();
  return o;
}

}  // namespace hisbridge::simulate
