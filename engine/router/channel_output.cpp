#include "engine/router/channel_output.hpp"

namespace hisbridge::router {

bool channel_output(const Channel& channel, const store::StoredMessage& stored,
                    const hl7::Message* message, mapping::MappingOutput& out,
                    std::string& failure) {
  failure.clear();
  if (!channel.mapping) {
    out.records.clear();
    out.events.clear();
    out.warnings.clear();
    return true;
  }
  const auto current = channel.mapping();
  if (!current) {
    return false;
  }
  const bool reads_xml = current->program().input == mapping::Program::Input::xml;
  if (!reads_xml && message == nullptr) {
    failure = "mapping " + current->name() + " reads HL7 and the message is not HL7";
    return false;
  }
  auto mapped = reads_xml ? current->apply_into(stored.message.raw, out)
                          : current->apply_into(*message, out);
  if (!mapped) {
    failure = "mapping " + current->name() + ": " + mapped.error().reason;
    return false;
  }
  return true;
}

std::string order_key(const store::StoredMessage& stored, const mapping::MappingOutput& output) {
  if (!stored.message.patient_id.empty()) {
    return "patient:" + stored.message.patient_id;
  }
  for (const mapping::Record& record : output.records) {
    const mapping::Value& order = record.get("order_no");
    if (!order.is_null() && !order.text.empty()) {
      return "order:" + std::string(order.text);
    }
  }
  return {};
}

}  // namespace hisbridge::router
