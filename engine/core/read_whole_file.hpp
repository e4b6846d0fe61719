#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "engine/core/result.hpp"

namespace hisbridge {

// The whole of a file people name in a config or mapping file (a mapping, a lookup table, the
// config itself), or why it cannot be read, said for the person who named it: the system's
// reason ("No such file or directory", "Permission denied"), "a directory", "not a regular
// file" (a device, a FIFO or a socket is refused before it is opened: reading /dev/zero or a
// FIFO would never end), "larger than N MB" (also for a file that grows past it while it is
// read), "a read failed".
Result<std::string, std::string> read_whole_file(const std::filesystem::path& file,
                                                 std::size_t max_bytes);

}  // namespace hisbridge
