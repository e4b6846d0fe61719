#include "engine/mapping/mapping.hpp"

#include <memory>
#include <vector>

#include "engine/hl7/read_message.hpp"

namespace hisbridge::mapping {
namespace {

// pugixml reads the document as given; a DOCTYPE (and with it any entity trick) is refused,
// as the HL7 v2.xml reader does.
constexpr unsigned kXmlParse = pugi::parse_default | pugi::parse_doctype;

// The Evaluators this thread maps with, one per program it ran lately (a router thread may serve
// several channels): their plans and buffers are kept from message to message, and what they
// remember of a message is for that message only. Each holds its program: a hot reload may drop
// the Mapping while a thread still has its Evaluator, which then goes at the next new program.
Evaluator& thread_evaluator(const std::shared_ptr<const Program>& program) {
  struct Held {
    std::shared_ptr<const Program> program;
    std::unique_ptr<Evaluator> evaluator;
  };
  constexpr std::size_t kMostHeld = 8;
  thread_local std::vector<Held> held;
  for (Held& h : held) {
    if (h.program == program) {
      return *h.evaluator;
    }
  }
  // Programs no Mapping holds any more (replaced by a reload) are let go first.
  std::erase_if(held, [](const Held& h) { return h.program.use_count() == 1; });
  if (held.size() == kMostHeld) {
    held.erase(held.begin());
  }
  held.push_back({program, std::make_unique<Evaluator>(*program)});
  return *held.back().evaluator;
}

MapResult apply_xml(const std::shared_ptr<const Program>& program, std::string_view raw) {
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
  Evaluator& evaluator = thread_evaluator(program);
  MappingOutput out;
  out.program = program;
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
    return apply_xml(program_, raw);
  }
  auto message = hl7::read_message(raw, charset_override);
  if (!message) {
    return MappingFailure{"cannot read the message: " + message.error().message()};
  }
  return apply(*message);
}

MapResult Mapping::apply(const hl7::Message& message) const {
  return apply(message, thread_evaluator(program_));
}

MapResult Mapping::apply(const hl7::Message& message, Evaluator& evaluator) const {
  if (program_->input != Program::Input::hl7) {
    return MappingFailure{"mapping " + program_->name + " reads XML, not HL7 v2"};
  }
  MappingOutput out;
  out.program = program_;
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
  if (out.program != program_) {  // the values about to be made may view its texts
    out.program = program_;
  }
  if (!evaluator.map_into(message, out)) {
    return MappingFailure{evaluator.error()};
  }
  return {};
}

Result<void, MappingFailure> Mapping::apply_into(const hl7::Message& message,
                                                 MappingOutput& out) const {
  return apply(message, thread_evaluator(program_), out);
}

Result<void, MappingFailure> Mapping::apply_into(std::string_view raw, MappingOutput& out) const {
  auto mapped = apply(raw);
  if (!mapped) {
    return mapped.error();
  }
  out = std::move(*mapped);
  return {};
}

}  // namespace hisbridge::mapping
