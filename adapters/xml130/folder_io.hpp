#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/xml130/error.hpp"

namespace hisbridge::xml130 {

// The file name of episode `ma_lk`: `<MA_LK>.xml`. MA_LK must be made of A-Z a-z 0-9 . _ -
// and must not start with a dot; anything else is an invalid_record error, never replaced by
// some other character: two episodes mapped to one name would merge into one file, and an
// episode code that carries a slash could write outside the folder.
Xml130Result<std::string> episode_file_name(std::string_view ma_lk);

// The bytes of `path`, or nullopt when there is no such file.
Xml130Result<std::optional<std::string>> read_file_if_exists(const std::filesystem::path& path);

// Replaces `folder`/`name` with `bytes` so that a reader or a power cut sees the old file or
// the new one, never a part (write_file_durably: `<name>.tmp`, fsync, rename over `name`,
// folder fsync). A failure is an `io` error naming the file and the system's reason.
Xml130Result<void> replace_file(const std::filesystem::path& folder, const std::string& name,
                                std::string_view bytes);

// fsyncs the folder itself, making the renames done in it durable.
Xml130Result<void> sync_folder(const std::filesystem::path& folder);

// An exclusive flock(2) on the folder, held while the object lives: two writers on one
// folder (two engine processes, or two Xml130Writer objects) take turns at the
// read-merge-write of a file instead of losing each other's rows.
class FolderLock {
 public:
  static Xml130Result<FolderLock> acquire(const std::filesystem::path& folder);
  FolderLock(FolderLock&& other) noexcept;
  FolderLock& operator=(FolderLock&& other) noexcept;
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;
  ~FolderLock();

 private:
  explicit FolderLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace hisbridge::xml130
