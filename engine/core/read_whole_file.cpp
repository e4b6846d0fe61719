#include "engine/core/read_whole_file.hpp"

#include <cerrno>
#include <cstdint>
#include <fstream>
#include <system_error>
#include <utility>

namespace hisbridge {
namespace {

using Read = Result<std::string, std::string>;

// Value and error are both strings: said which one is meant.
Read failed(std::string reason) { return Read(boost::system::in_place_error, std::move(reason)); }

std::string megabytes(std::size_t bytes) {
  return std::to_string((bytes + (1U << 20) - 1) >> 20) + " MB";
}

}  // namespace

Result<std::string, std::string> read_whole_file(const std::filesystem::path& file,
                                                 std::size_t max_bytes) {
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (status.type() == std::filesystem::file_type::not_found) {
    return failed(std::make_error_code(std::errc::no_such_file_or_directory).message());
  }
  if (ec) {
    return failed(ec.message());
  }
  if (status.type() == std::filesystem::file_type::directory) {
    return failed("a directory");
  }
  if (status.type() != std::filesystem::file_type::regular) {
    return failed("not a regular file");
  }
  const std::uintmax_t size = std::filesystem::file_size(file, ec);
  if (ec) {
    return failed(ec.message());
  }
  if (size > max_bytes) {
    return failed("larger than " + megabytes(max_bytes));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return failed(std::generic_category().message(errno));
  }
  // Read to the end, whatever the size said: a file may grow or shrink in between.
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(size));
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    bytes.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > max_bytes) {
      return failed("larger than " + megabytes(max_bytes));
    }
  }
  if (in.bad()) {
    return failed("a read failed");
  }
  return Read(boost::system::in_place_value, std::move(bytes));
}

}  // namespace hisbridge
