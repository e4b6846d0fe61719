#pragma once

// The audit log file (docs/operator-guide.md, "Audit log"): one JSON line per operator action,
// on disk before append() returns, rotated by size.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/config/config.hpp"
#include "engine/core/result.hpp"

namespace hisbridge::audit {

// One operator action: who did what, from where, to which messages.
struct Entry {
  // Who: as the journal's audit rows name the caller. The admin API's is the token's name (or
  // the X-Hisbridge-Actor header) with the peer address, "it-team (10.1.2.3:51234)", or the
  // peer alone; the CLI's is the OS user it runs as.
  std::string actor;
  // From where: the API caller's peer address ("10.1.2.3:51234"); "cli" for `hisbridge
  // replay`; "local" for what the engine is told on its own host (a signal).
  std::string from;
  std::string action;  // what: "view-message", "reprocess-messages", "config-reload", ...
  // Which messages and how many: ids, counts, a channel, never a message's content.
  nlohmann::ordered_json detail = nlohmann::ordered_json::object();
};

// The line of `entry` stamped `at_us` (microseconds since the epoch), '\n' included:
// {"at":"2026-03-05T01:15:00.123456Z","actor":"...","from":"...","action":"...","detail":{...}}
// Bytes that are not UTF-8 are replaced (U+FFFD), so the line is always valid JSON.
std::string format_line(const Entry& entry, std::int64_t at_us);

// `at_us` as ISO 8601 in UTC with microseconds: "2026-03-05T01:15:00.123456Z".
std::string iso_utc(std::int64_t at_us);

struct FileOptions {
  std::filesystem::path file;
  // A line that would take the file past this size goes to a new file (a line is never
  // split; a single line longer than this still gets a file of its own).
  std::int64_t max_size_bytes = 10'000'000;
  // How many rotated files are kept: FILE.1 (the newest) to FILE.<keep>. 0: none.
  std::size_t keep = 10;
};
FileOptions file_options(const config::AuditConfig& config);

// The audit file, opened for appending. append() may be called from any thread; several
// processes (the engine and `hisbridge replay`) may append to the same file at once.
//
// Each line goes out in one write(2) on an O_APPEND descriptor and is fdatasync'ed before
// append() returns, so a line whose action was answered survives a power cut. Appends and
// rotations of all processes take turns on an flock(2) of the file: a process that finds the
// name now names another file (rotated by another process, or moved by an outside tool)
// reopens the name before it writes, so no line lands in a file that is being renamed away.
//
// Rotation, when the next line would pass max_size_bytes: FILE.<keep> is deleted, FILE.<n>
// renamed to FILE.<n+1>, FILE to FILE.1, and a new FILE created (mode 0640, less the umask;
// the old file's owner when this process may give it away), the folder flushed so the renames
// survive a power cut.
class AuditFile {
 public:
  // Creates the folder when it is missing and opens (or creates) the file. The error names
  // the file and what failed.
  static Result<std::unique_ptr<AuditFile>, std::string> open(FileOptions options);
  ~AuditFile();
  AuditFile(const AuditFile&) = delete;
  AuditFile& operator=(const AuditFile&) = delete;

  // Appends `entry`, stamped now, and flushes it to disk. On an error (disk full, a rotation
  // that could not rename) nothing of the line is in the file and the error names the file.
  Result<void, std::string> append(const Entry& entry);

  const std::filesystem::path& path() const { return options_.file; }

 private:
  explicit AuditFile(FileOptions options, int fd) : options_(std::move(options)), fd_(fd) {}

  // Takes the flock on the file the name now names, reopening it when it changed.
  Result<void, std::string> lock_current();
  Result<void, std::string> rotate_if_full(std::size_t line_bytes);
  Result<void, std::string> rotate();
  Result<void, std::string> write_line(const std::string& line);
  std::string failed(const std::string& what) const;

  FileOptions options_;
  std::mutex mutex_;  // one append at a time in this process; the flock orders the processes
  int fd_ = -1;
};

}  // namespace hisbridge::audit
