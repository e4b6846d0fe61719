#include "engine/mapping/mapping.hpp"

#include "engine/hl7/read_message.hpp"

namespace hisbridge::mapping {
namespace {

// pugixml reads the document as given; a DOCTYPE (and with it any entity trick) is refused,
// as the HL7 v2.xml reader does.
constexpr unsigned kXmlParse = pugi::parse_default | pugi::parse_doctype;

MapResult apply_xml(const Program& program, std::string_view raw) {
  pugi::xml_document document;
  const pugi::xml_parse_result parsed = document.load_buffer(raw.data(), raw.size(), kXmlParse);
  if (!parsed) {
    return MappingFailure{"not well-formed XML at byte " + std::to_string(parsed.offset) + ": " +
                          parsed.description()};
  }
  for (pugi::xml_node node : document.children()) {
    if (node.type() == pugi::node_doctype) {
      return MappingFailure{"XML with a DOCTYPE is refused"};
    }
  }
  Evaluator evaluator(program);
  MappingOutput out;
  if (!evaluator.map(document, out)) {
    return MappingFailure{evaluator.error()};
  }
  return out;
}

}  // namespace

Result<std::shared_ptr<const Mapping>, MappingErrors> Mapping::load(
    const std::filesystem::path& file, const MappingLoadOptions& options) {
  auto program = load_mapping(file, options);
  if (!program) {
    return program.error();
  }
  return std::make_shared<const Mapping>(std::move(*program));
}

MapResult Mapping::apply(std::string_view raw, std::string_view charset_override) const {
  if (program_->input == Program::Input::xml) {
    return apply_xml(*program_, raw);
  }
  auto message = hl7::read_message(raw, charset_override);
  if (!message) {
    return MappingFailure{"cannot read the message: " + message.error().message()};
  }
  return apply(*message);
}

MapResult Mapping::apply(const hl7::Message& message) const {
  Evaluator evaluator(*program_);
  return apply(message, evaluator);
}

MapResult Mapping::apply(const hl7::Message& message, Evaluator& evaluator) const {
  if (program_->input != Program::Input::hl7) {
    return MappingFailure{"mapping " + program_->name + " reads XML, not HL7 v2"};
  }
  MappingOutput out;
  if (!evaluator.map(message, out)) {
    return MappingFailure{evaluator.error()};
  }
  return out;
}

Result<void, MappingFailure> Mapping::apply(const hl7::Message& message, Evaluator& evaluator,
                                            MappingOutput& out) const {
  if (program_->input != Program::Input::hl7) {
    return MappingFailure{"mapping " + program_->name + " reads XML, not HL7 v2"};
  }
  if (!evaluator.map_into(message, out)) {
    return MappingFailure{evaluator.error()};
  }
  return {};
}

}  // namespace hisbridge::mapping
