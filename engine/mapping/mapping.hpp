#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "engine/core/result.hpp"
#include "engine/hl7/message.hpp"
#include "engine/mapping/evaluator.hpp"
#include "engine/mapping/mapping_loader.hpp"
#include "engine/mapping/program.hpp"
#include "engine/mapping/record.hpp"

namespace hisbridge::mapping {

// Why one message could not be mapped: the text its journal row is marked `error` with.
struct MappingFailure {
  std::string reason;
};

using MapResult = Result<MappingOutput, MappingFailure>;

// A loaded mapping file: what a channel's transformer holds. Immutable and shared between
// threads; hot reload swaps the whole object (MappingWatcher).
class Mapping {
 public:
  static Result<std::shared_ptr<const Mapping>, MappingErrors> load(
      const std::filesystem::path& file, const MappingLoadOptions& options = {});
  explicit Mapping(std::shared_ptr<const Program> program) : program_(std::move(program)) {}

  // Maps a message as it was received: ER7 or HL7 v2.xml for an `hl7` mapping (read in
  // `charset_override` when set, else as MSH-18 says), any XML for an `xml` mapping.
  MapResult apply(std::string_view raw, std::string_view charset_override = {}) const;
  // Maps a message already parsed (hl7 mappings only). This and the one above map with an
  // Evaluator the calling thread keeps for the mapping: its plans and buffers are made once.
  MapResult apply(const hl7::Message& message) const;
  // The same with an evaluator the caller keeps, so its buffers are reused.
  MapResult apply(const hl7::Message& message, Evaluator& evaluator) const;
  // The same into `out`, whose records and events are replaced and whose storage is reused
  // (Evaluator::map_into): the form for a caller that maps message after message. On failure
  // `out` holds a partial result to discard.
  Result<void, MappingFailure> apply(const hl7::Message& message, Evaluator& evaluator,
                                     MappingOutput& out) const;

  // Maps a message (as read, for an `hl7` mapping; the raw bytes for an `xml` one) into `out`
  // with this thread's evaluator: the form for a caller that maps message after message on one
  // thread with one output kept per mapping (the router per channel, a delivery worker), whose
  // records' storage is then reused. On failure `out` holds a partial result to discard.
  Result<void, MappingFailure> apply_into(const hl7::Message& message, MappingOutput& out) const;
  Result<void, MappingFailure> apply_into(std::string_view raw, MappingOutput& out) const;

  const Program& program() const { return *program_; }
  const std::string& name() const { return program_->name; }

 private:
  std::shared_ptr<const Program> program_;
};

}  // namespace hisbridge::mapping
