#pragma once

#include <filesystem>
#include <string_view>

#include "engine/core/result.hpp"

namespace hisbridge {

// Writes `bytes` to `folder`/`name` so that a reader of the folder, or the folder after a power
// cut, sees the old file or the new one whole, never a part of it:
//   1. the bytes go to `<name>.tmp` in the same folder (a name that drop-folder readers,
//      hisbridge's own included, leave alone), which is flushed to disk;
//   2. it is renamed over `name`;
//   3. the folder itself is flushed, so the rename survives a power cut.
// Writing a name again replaces the file the same way, so writing the same bytes twice leaves
// the same file (idempotent). A `<name>.tmp` left by a power cut is reused by the next write of
// that name. Writers of one name in several threads or processes take turns (an flock(2) on
// the temporary), so every file that appears is one writer's bytes, whole.
//
// `folder` must exist. `name` must be a plain file name: not empty, not "." or "..", no '/',
// no NUL (std::errc::invalid_argument). Other failures are the system's error_code (disk full,
// permission denied, ...), whose message() is the errno text. A failed write leaves the old file
// as it was and no temporary behind. Blocking.
Result<void> write_file_durably(const std::filesystem::path& folder, std::string_view name,
                                std::string_view bytes);

}  // namespace hisbridge
