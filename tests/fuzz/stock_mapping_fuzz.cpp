#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/hl7/message.hpp"
#include "engine/mapping/evaluator.hpp"
#include "engine/mapping/mapping.hpp"
#include "engine/mapping/output_json.hpp"

using namespace hisbridge;
using namespace hisbridge::mapping;

namespace {

// The mappings hospitals run, with an evaluator kept for each as the router keeps one per
// channel: it remembers plans, groups and values from message to message.
struct Kept {
  std::shared_ptr<const Mapping> mapping;
  std::unique_ptr<Evaluator> evaluator;
  MappingOutput output;
};

std::vector<Kept>& stock_mappings() {
  static std::vector<Kept> kept = [] {
    std::vector<Kept> loaded;
    const std::filesystem::path folder = HISBRIDGE_MAPPINGS_DIR;
    for (const char* file : {"lis-stock.json", "ris-stock.json", "xml130-lis.json",
                             "lis-vendor-xml.json"}) {
      auto mapping = Mapping::load(folder / file);
      if (!mapping) {
        __builtin_trap();  // a stock mapping that does not load is a broken build, not an input
      }
      auto evaluator = std::make_unique<Evaluator>((*mapping)->program());
      loaded.push_back({std::move(*mapping), std::move(evaluator), {}});
    }
    return loaded;
  }();
  return kept;
}

// The message is parsed as it came, not transcoded: its values may hold any bytes.
std::string outcome(const Result<void, MappingFailure>& result, const MappingOutput& output) {
  return result ? to_json(output).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                : "error: " + result.error().reason;
}

}  // namespace

// A message of any bytes through the stock mappings, the hot path of every channel: reading
// it must be safe (the message is parsed in place, in the fuzzer's own buffer, so a read past
// its end is caught), and an evaluator that mapped other messages before must give exactly
// what a fresh one gives: nothing it remembers may leak from one message into the next.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto message = hl7::Message::parse(bytes);
  for (Kept& kept : stock_mappings()) {
    if (kept.mapping->program().input == Program::Input::xml) {
      (void)kept.mapping->apply(bytes);
      continue;
    }
    if (!message) {
      continue;
    }
    const auto warm = kept.mapping->apply(*message, *kept.evaluator, kept.output);
    Evaluator fresh_evaluator(kept.mapping->program());
    MappingOutput fresh;
    const auto cold = kept.mapping->apply(*message, fresh_evaluator, fresh);
    if (outcome(warm, kept.output) != outcome(cold, fresh)) {
      __builtin_trap();
    }
  }
  return 0;
}
