#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "engine/core/result.hpp"
#include "engine/router/source.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace hisbridge::file {

struct DropFolderOptions {
  std::string name;              // the source name: each message's Envelope::source
  std::filesystem::path folder;  // the drop folder; done/ and error/ are made inside it
  std::chrono::milliseconds poll_interval{1000};
  // The source's configured character set (empty: MSH-18 decides). Ingest applies it when it
  // reads the messages; here it only matters for UTF-16 and UTF-32, whose files are handed
  // over whole because their bytes cannot be split on segment names.
  std::string charset;
  std::size_t max_file_bytes = 256u << 20;
  // A file with a message that could not be stored (the store failed, Reply::message_id 0)
  // stays in the folder and is sent again after this long.
  std::chrono::milliseconds store_retry_delay{std::chrono::seconds(30)};
};

struct DropFolderCounters {
  std::uint64_t files_done = 0;     // moved to done/
  std::uint64_t files_failed = 0;   // moved to error/
  std::uint64_t files_retried = 0;  // left in place after a store failure, to be sent again
  std::uint64_t messages = 0;       // handed to Ingest
  std::uint64_t scans = 0;          // folder listings made
  std::uint64_t paused_polls = 0;   // polls that took nothing: the source was paused
};

// Whether a file name in a drop folder may be taken: not hidden (`.name`) and not what
// exporters call a file they are still writing (`*.tmp`, `*.part`, `*.filepart`, `*~`; the
// suffixes without regard to case).
bool is_drop_candidate(std::string_view name);

// `folder/name`, or, when that name (or its `.reason.txt`) is taken already, the first free
// `folder/<stem>_<n><extension>` (n = 1, 2, ...): nothing in done/ or error/ is overwritten.
std::filesystem::path unique_destination(const std::filesystem::path& folder,
                                         const std::string& name);

// The drop folder inbound adapter. LIS and RIS exports write a file under a temporary name
// and rename it when complete; this takes complete files, hands their messages to Ingest and
// files them away:
//
//   - The folder is polled every poll_interval (a directory scan, no inotify): polling works
//     the same on local disks and on the SMB/NFS shares exports often land on, where inotify
//     does not see writes made by other machines, and the stability rule needs a scan anyway.
//   - A file is taken when it is a regular file, is_drop_candidate(), and its size and
//     modification time are the same in two scans in a row (stable for one poll interval;
//     StableFiles holds the rule).
//   - Ready files are taken in name order (export names usually sort by time), one file at a
//     time: every message of a file is handed to Ingest (FileJob says what a message is;
//     Envelope::peer is the file name) and the next file starts when every reply is in, so
//     messages are stored in the order of the files and of the messages within them.
//   - All accepted: the file moves to done/. Otherwise (a message rejected, or a file that
//     cannot be read or holds no message) it moves to error/ with `<name>.reason.txt` beside
//     it listing each message's outcome. A message that could not be stored at all keeps the
//     file where it is, to be sent again after store_retry_delay. Nothing is deleted; a name
//     taken in done/ or error/ gets a unique suffix (unique_destination).
//   - While the engine pauses the source (SourceCallbacks::paused: back-pressure), no file is
//     started and the folder is not listed: files stay where they are and are taken after the
//     source resumes. A file already started is finished.
//
// Crash safety: a file is moved only after every message in it has its reply, and Ingest
// replies only after the message's commit, so a file that is still in the folder after a
// crash or restart has messages that may or may not have been stored. It is simply taken
// again: the store's duplicate rule (same sending application, sending facility and MSH-10
// within the duplicate window) records the messages stored before as duplicates, which
// processing does not pick up, so nothing is processed twice.
//
// Threads: everything runs on a strand of `ioc`, file reading and moving included (drop
// folder files are small; a slow share slows only this listener's strand). Replies come on
// the store's writer thread and are posted to the strand. `ioc` and `callbacks` must outlive
// every pending reply.
class DropFolderListener {
 public:
  DropFolderListener(boost::asio::io_context& ioc, DropFolderOptions options,
                     router::SourceCallbacks& callbacks);
  // stop().
  ~DropFolderListener();
  DropFolderListener(const DropFolderListener&) = delete;
  DropFolderListener& operator=(const DropFolderListener&) = delete;

  // Checks the folder, creates done/ and error/ in it, and starts polling (the first scan at
  // once). Errors: the folder is missing or not a folder (no_such_file_or_directory,
  // not_a_directory), done/ or error/ cannot be created, the charset is unknown
  // (invalid_argument).
  Result<void> start();
  // No file is started after this; a file whose replies are pending is still filed away when
  // they arrive. Thread-safe and idempotent.
  void stop();

  DropFolderCounters counters() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace hisbridge::file
