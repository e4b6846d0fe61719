#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace hisbridge::testing_support {

// The bytes of a fixture or sample file, exactly as stored (binary mode: no newline changes).
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace hisbridge::testing_support
