#include "engine/app/map_command.hpp"

#include <fstream>
#include <iterator>
#include <ostream>

#include <nlohmann/json.hpp>

#include "engine/hl7/batch.hpp"
#include "engine/hl7/read_message.hpp"
#include "engine/mapping/mapping.hpp"
#include "engine/mapping/output_json.hpp"

namespace hisbridge::app {
namespace {

using nlohmann::ordered_json;

constexpr int kInvalid = 2;

// The messages of the file: an XML document is one; ER7 may be a batch or several.
std::vector<std::pair<std::string_view, std::size_t>> messages_of(std::string_view bytes) {
  std::vector<std::pair<std::string_view, std::size_t>> out;
  if (hl7::looks_like_xml(bytes)) {
    out.emplace_back(bytes, 1);
    return out;
  }
  const hl7::Batch batch = hl7::split_messages(bytes);
  for (std::size_t i = 0; i < batch.messages.size(); ++i) {
    out.emplace_back(batch.messages[i], batch.message_lines[i]);
  }
  return out;
}

}  // namespace

int run_map(const MapOptions& options, std::ostream& out, std::ostream& err) {
  mapping::MappingLoadOptions load_options;
  load_options.timezone = options.timezone;
  auto loaded = mapping::Mapping::load(options.mapping, load_options);
  if (!loaded) {
    for (const auto& e : loaded.error()) {
      err << e.to_string() << "\n";
    }
    return kInvalid;
  }
  std::ifstream in(options.file, std::ios::binary);
  if (!in) {
    err << options.file << ": cannot open\n";
    return kInvalid;
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto messages = messages_of(bytes);
  if (messages.empty()) {
    err << options.file << ": no message found\n";
    return kInvalid;
  }
  int status = 0;
  ordered_json results = ordered_json::array();
  for (std::size_t i = 0; i < messages.size(); ++i) {
    auto mapped = (*loaded)->apply(messages[i].first, options.charset);
    ordered_json one = {{"message", i + 1}, {"line", messages[i].second}};
    if (!mapped) {
      err << options.file << ":" << messages[i].second << ": message " << i + 1 << ": "
          << mapped.error().reason << "\n";
      one["error"] = mapped.error().reason;
      status = kInvalid;
    } else {
      one.update(mapping::to_json(*mapped));
    }
    results.push_back(std::move(one));
  }
  const ordered_json doc = {{"mapping", (*loaded)->name()},
                            {"file", options.file},
                            {"messages", std::move(results)}};
  out << doc.dump(2, ' ', false, ordered_json::error_handler_t::replace) << "\n";
  return status;
}

}  // namespace hisbridge::app
