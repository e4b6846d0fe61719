#include "engine/simulate/visit_builder.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "engine/simulate/delays.hpp"

namespace hisbridge::simulate {
namespace {

// Out of range a little more often in the emergency department and intensive care.
double abnormal_chance(const Department& d) { return d.stat_share > 0.5 ? 0.25 : 0.12; }

std::string two_digits(std::int64_t n) {
  char text[8];
  std::snprintf(text, sizeof text, "%02lld", static_cast<long long>(n));
  return text;
}

}  // namespace

SimTime Visit::first_service() const {
  SimTime first = std::numeric_limits<SimTime>::max();
  for (const LabOrder& o : labs) {
    first = std::min(first, o.collected);
  }
  for (const RadOrder& o : rads) {
    first = std::min(first, o.started);
  }
  return first;
}

Visit VisitBuilder::build(const Hospital& hospital, const Department& department,
                          SimTime registered) {
  Visit v;
  v.hospital = &hospital;
  v.department = &department;
  v.registered = registered;
  v.patient = make_patient(random_, hospital, department.pediatric, registered,
                           numbering_.patient_id(hospital, registered));
  v.visit_no = numbering_.visit_no(department.visit_class, registered);
  v.room = "P" + std::to_string(random_.between(101, 420));
  v.bed = two_digits(random_.between(1, 30));
  v.doctor = pick_doctor(random_);
  // Every visit is registered for some service: at least one order, lab or imaging.
  bool lab = random_.chance(department.lab_share);
  const bool rad = random_.chance(department.rad_share);
  lab = lab || !rad;
  SimTime at = registered + random_.delay(registration_to_order(department.visit_class));
  const Priority priority = draw_priority(department);
  if (lab) {
    const std::int64_t panels = random_.between(1, priority == Priority::stat ? 3 : 2);
    for (std::int64_t i = 0; i < panels; ++i) {
      v.labs.push_back(lab_order(v, priority, at));
      at += random_.delay(kBetweenOrders);
    }
  }
  if (rad) {
    v.rads.push_back(rad_order(v, priority, at));
  }
  return v;
}

Priority VisitBuilder::draw_priority(const Department& department) {
  return random_.chance(department.stat_share) ? Priority::stat : Priority::routine;
}

LabOrder VisitBuilder::lab_order(const Visit& visit, Priority priority, SimTime ordered) {
  LabOrder o;
  o.order_no = numbering_.lab_order_no(ordered);
  o.filler_no = numbering_.lab_filler_no(ordered);
  o.specimen_id = numbering_.specimen_id(ordered);
  o.panel = &pick_panel(random_, priority == Priority::stat);
  o.priority = priority;
  o.doctor = visit.doctor;
  o.ordered = ordered;
  lab_times(o);
  const double chance = abnormal_chance(*visit.department);
  for (const LabTest& test : o.panel->tests) {
    o.results.push_back(observe(random_, test, chance));
  }
  lab_correction(o);
  return o;
}

void VisitBuilder::lab_times(LabOrder& o) {
  const LabDelays& d = lab_delays(o.priority);
  o.collected = o.ordered + random_.delay(d.order_to_collect);
  o.received = o.collected + random_.delay(d.collect_to_receive);
  SimTime analysis = random_.delay(d.receive_to_final);
  o.late = random_.chance(options_.late_rate);
  if (o.late) {
    analysis += random_.delay(d.late_extra);
  }
  o.final_at = o.received + analysis;
  o.final_stamp = o.final_at;
  // A skewed clock: the analyser's middleware runs slow, so a result stamped by it reads as
  // if it came before the specimen arrived.
  o.skewed = !o.late && random_.chance(options_.skew_rate);
  if (o.skewed) {
    o.final_stamp = o.received - random_.delay(kSkewBeforeReceipt);
  } else if (random_.chance(o.panel->preliminary)) {
    o.preliminary = o.received + static_cast<SimTime>(static_cast<double>(analysis) *
                                                      (0.4 + 0.3 * random_.unit()));
  }
}

void VisitBuilder::lab_correction(LabOrder& o) {
  if (!random_.chance(options_.corrected_rate)) {
    return;
  }
  o.corrected = o.final_at + random_.delay(kFinalToCorrection);
  o.corrected_index =
      static_cast<std::size_t>(random_.between(0, static_cast<std::int64_t>(o.results.size()) - 1));
  // The rerun gives another value of the same test, abnormal or not.
  o.correction = observe(random_, *o.results[o.corrected_index].test, 0.5);
}

RadOrder VisitBuilder::rad_order(const Visit& visit, Priority priority, SimTime ordered) {
  RadOrder o;
  o.service = &pick_service(random_, priority == Priority::stat);
  o.order_no = numbering_.rad_order_no(ordered);
  o.filler_no = numbering_.rad_filler_no(ordered);
  o.accession_no = numbering_.accession_no(o.service->modality, ordered);
  o.study_uid = "2.25." + std::to_string(static_cast<std::uint64_t>(
                              random_.between(1, std::numeric_limits<std::int64_t>::max())));
  o.priority = priority;
  o.abnormal = random_.chance(priority == Priority::stat ? 0.35 : 0.2);
  o.doctor = visit.doctor;
  o.radiologist = pick_radiologist(random_);
  o.resident = pick_radiologist(random_);
  o.ordered = ordered;
  rad_times(o);
  return o;
}

void VisitBuilder::rad_times(RadOrder& o) {
  const RadDelays& d = rad_delays(o.priority);
  o.started = o.ordered + random_.delay(d.order_to_start);
  o.completed = o.started + random_.delay(o.service->exam);
  SimTime reading = random_.delay(d.complete_to_report);
  o.late = random_.chance(options_.late_rate);
  if (o.late) {
    reading += random_.delay(d.late_extra);
  }
  o.final_at = o.completed + reading;
  if (random_.chance(o.service->preliminary)) {
    o.preliminary = o.completed + static_cast<SimTime>(static_cast<double>(reading) *
                                                       (0.3 + 0.3 * random_.unit()));
  }
  if (random_.chance(options_.corrected_rate)) {
    o.corrected = o.final_at + random_.delay(kFinalToCorrection);
  }
}

}  // namespace hisbridge::simulate
