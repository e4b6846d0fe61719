#include "engine/router/filter.hpp"

#include <algorithm>

namespace hisbridge::router {
namespace {

bool listed(const std::vector<std::string>& allowed, const std::string& value) {
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

bool type_listed(const std::vector<std::string>& allowed, const hl7::MessageHeader& h) {
  if (allowed.empty()) {
    return true;
  }
  const std::string full = h.message_code + "^" + h.trigger_event;
  return std::any_of(allowed.begin(), allowed.end(), [&](const std::string& type) {
    return type == full || type == h.message_code;
  });
}

}  // namespace

bool filter_matches(const config::FilterConfig& filter, const hl7::Message& message) {
  const hl7::MessageHeader h = message.header();
  if (!type_listed(filter.message_types, h) ||
      !listed(filter.sending_applications, h.sending_application) ||
      !listed(filter.sending_facilities, h.sending_facility)) {
    return false;
  }
  return std::all_of(filter.conditions.begin(), filter.conditions.end(),
                     [&](const config::PathCondition& c) {
                       return message.get(c.path).value() == c.equals;
                     });
}

bool xml_filter_matches(const config::FilterConfig& filter, const std::string& root_name) {
  // HL7 paths and MSH fields say nothing of another XML: a filter that needs them takes none.
  if (!filter.sending_applications.empty() || !filter.sending_facilities.empty() ||
      !filter.conditions.empty()) {
    return false;
  }
  return listed(filter.message_types, root_name);
}

}  // namespace hisbridge::router
