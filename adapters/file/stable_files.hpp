#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace hisbridge::file {

// What one scan of a drop folder saw of a file.
struct FileState {
  std::uintmax_t size = 0;
  std::filesystem::file_time_type modified;
  bool operator==(const FileState&) const = default;
};

// Decides, scan after scan, which files of a drop folder are ready to be taken: the rule part
// of DropFolderListener, kept apart from the file system so it can be tested with made-up
// listings and times.
//
// A file is ready when the previous scan saw it with the same size and modification time
// (a file still being written changes between scans) and it is not held back. Only the
// listener's strand calls it.
class StableFiles {
 public:
  using Clock = std::chrono::steady_clock;
  using Listing = std::map<std::string, FileState>;  // by file name: name order

  // Takes the listing of a new scan and returns the ready files, in name order, each with
  // the state it was seen in. Holds on files that are gone are dropped.
  std::vector<std::pair<std::string, FileState>> update(Listing listing, Clock::time_point now);

  // After a file was taken (moved away or left for a retry): a new file of the same name must
  // prove itself stable again.
  void forget(const std::string& name) { previous_.erase(name); }
  // A file that could not be moved: not ready again until it changes.
  void hold_until_changed(const std::string& name, const FileState& state) { stuck_[name] = state; }
  // A file to send again later: not ready before `when`.
  void hold_until(const std::string& name, Clock::time_point when) { retry_at_[name] = when; }

 private:
  Listing previous_;
  Listing stuck_;
  std::map<std::string, Clock::time_point> retry_at_;
};

}  // namespace hisbridge::file
