#include "engine/timeline/marks.hpp"

#include <string>

#include "engine/timeline/iso_time.hpp"

namespace hisbridge::timeline {
namespace {

SubjectInfo info_of(const mapping::ClinicalEvent& e) {
  SubjectInfo info;
  info.discipline = e.discipline;
  info.visit_id = e.visit_id;
  info.patient_id = e.patient_id;
  info.department = e.department;
  info.priority = e.priority;
  info.service_code = e.service_code;
  info.modality = e.modality;
  return info;
}

}  // namespace

void append_marks(std::span<const mapping::ClinicalEvent> events, std::vector<Mark>& out,
                  std::size_t& skipped) {
  for (const mapping::ClinicalEvent& e : events) {
    const auto at = iso_to_unix_us(e.time);
    if (!at || e.kind.empty() || (e.order_no.empty() && e.visit_id.empty())) {
      ++skipped;
      continue;
    }
    if (!e.order_no.empty()) {
      out.push_back({Scope::order, std::string(e.order_no), std::string(e.kind), *at, info_of(e)});
    }
    if (!e.visit_id.empty()) {
      out.push_back({Scope::visit, std::string(e.visit_id), std::string(e.kind), *at, info_of(e)});
    }
  }
}

Mark message_mark(std::int64_t message_id, std::string_view kind, std::int64_t at_us) {
  Mark m;
  m.scope = Scope::message;
  m.subject = std::to_string(message_id);
  m.kind = std::string(kind);
  m.at_us = at_us;
  return m;
}

}  // namespace hisbridge::timeline
