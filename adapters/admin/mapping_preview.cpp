#include "adapters/admin/mapping_preview.hpp"

#include "engine/hl7/read_message.hpp"
#include "engine/mapping/output_json.hpp"
#include "engine/router/filter.hpp"

namespace hisbridge::admin {
namespace {

nlohmann::ordered_json channel_output(const config::ChannelConfig& channel,
                                      const mapping::Mapping& mapping,
                                      const store::StoredMessage& stored,
                                      const hl7::Message* message) {
  nlohmann::ordered_json j;
  j["channel"] = channel.name;
  j["mapping"] = mapping.name();
  auto mapped = message != nullptr ? mapping.apply(*message) : mapping.apply(stored.message.raw);
  if (!mapped) {
    j["error"] = mapped.error().reason;
    return j;
  }
  const nlohmann::ordered_json output = mapping::to_json(*mapped);
  j["records"] = output.value("records", nlohmann::ordered_json::array());
  j["events"] = output.value("events", nlohmann::ordered_json::array());
  j["warnings"] = mapped->warnings;
  return j;
}

}  // namespace

nlohmann::ordered_json mapping_preview(const store::StoredMessage& stored,
                                       const config::Config& config,
                                       const mapping::MappingWatcher& mappings) {
  const config::ListenerConfig* listener = config.listener(stored.message.source);
  const auto message = hl7::read_message(stored.message.raw,
                                         listener != nullptr ? listener->charset : std::string());
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const config::ChannelConfig& channel : config.channels) {
    if (channel.source != stored.message.source) {
      continue;
    }
    const auto current = channel.mapping.empty() ? nullptr : mappings.current(channel.mapping);
    const bool reads_xml = current && current->program().input == mapping::Program::Input::xml;
    const bool takes = reads_xml ? !message && router::xml_filter_matches(
                                                   channel.filter, stored.message.message_type)
                                 : message && router::filter_matches(channel.filter, *message);
    if (!takes) {
      continue;
    }
    if (!current) {
      nlohmann::ordered_json j;
      j["channel"] = channel.name;
      j["mapping"] = nullptr;
      if (!channel.mapping.empty()) {
        j["error"] = "mapping file " + channel.mapping + " is not loaded";
      }
      out.push_back(std::move(j));
      continue;
    }
    out.push_back(channel_output(channel, *current, stored, message ? &*message : nullptr));
  }
  return out;
}

}  // namespace hisbridge::admin
