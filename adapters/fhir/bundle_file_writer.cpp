#include "adapters/fhir/bundle_file_writer.hpp"

#include <string>

#include "adapters/fhir/error.hpp"
#include "engine/core/durable_file.hpp"

namespace hisbridge::fhir {
namespace {

bool valid_name(std::string_view name) {
  return !name.empty() && !name.starts_with('.') && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

}  // namespace

Result<std::filesystem::path> BundleFileWriter::write(const nlohmann::json& bundle,
                                                      std::string_view name) const {
  if (!valid_name(name)) {
    return make_error_code(Error::invalid_name);
  }
  const std::string text = bundle.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string file_name = std::string(name) + ".json";
  if (auto written = write_file_durably(folder_, file_name, text); !written) {
    return written.error();
  }
  return folder_ / file_name;
}

}  // namespace hisbridge::fhir
