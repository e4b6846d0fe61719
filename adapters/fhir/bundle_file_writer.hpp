#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>

#include "engine/core/result.hpp"

namespace hisbridge::fhir {

// Writes bundles as files into one folder, for a FHIR server or a bulk loader that picks files
// up. A file appears whole or not at all (write_file_durably: the JSON goes to `<name>.json.tmp`
// in the same folder, is flushed to disk and renamed to `<name>.json`, and the folder itself is
// flushed so the rename survives a power cut); a reader of the folder skips `*.tmp`. Writing a
// name again replaces the file, also atomically. Blocking; safe to call from several threads
// (writers of one name take turns).
class BundleFileWriter {
 public:
  // `folder` must exist; it is not created.
  explicit BundleFileWriter(std::filesystem::path folder) : folder_(std::move(folder)) {}

  // Writes `bundle` (compact JSON, invalid UTF-8 replaced by U+FFFD) to `<folder>/<name>.json`
  // and returns that path. `name` is a plain file name: not empty, no '/', no NUL, not
  // starting with '.' (Error::invalid_name). Other failures are the system's error_code;
  // nothing is left behind by a failed write.
  Result<std::filesystem::path> write(const nlohmann::json& bundle, std::string_view name) const;

  const std::filesystem::path& folder() const { return folder_; }

 private:
  std::filesystem::path folder_;
};

}  // namespace hisbridge::fhir
