#pragma once

// A consistent copy of one SQLite file while other connections (a running engine) go on
// writing it, with SQLite's online backup API, and the checks that make the copy worth
// keeping. The files that make up an engine's state, the manifest and the command line are
// the app's business (engine/app/backup_command.hpp); this is one file at a time.
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/result.hpp"
#include "engine/store/error.hpp"

namespace hisbridge::store {

// How far a copy has come, after each step.
struct BackupProgress {
  std::int64_t pages_copied = 0;
  std::int64_t pages_total = 0;
};

struct BackupOptions {
  // Pages copied per sqlite3_backup_step(): 1,000 pages are 8 MiB of the journal's 8 KiB pages.
  int pages_per_step = 1000;
  // A pause after every step, so the copy's reads leave the disk to the engine's commits
  // (whose fsyncs the ACKs wait for) now and then.
  std::chrono::milliseconds pause_between_steps{2};
  // When the source is locked (SQLITE_BUSY, SQLITE_LOCKED: a connection recovering the WAL,
  // an exclusive lock), wait this long and try again...
  std::chrono::milliseconds busy_wait{50};
  // ...until it has stayed locked this long in all; then the copy fails with StoreError::busy.
  std::chrono::milliseconds busy_limit{std::chrono::seconds(60)};
  // PRAGMA quick_check instead of integrity_check: O(N) instead of O(N log N), but it does not
  // compare indexes with their tables.
  bool quick_check = false;
  // Called after every step (tests use it to let writers commit between steps).
  std::function<void(const BackupProgress&)> on_step;
};

// The copy as it was written.
struct BackupCopy {
  std::filesystem::path source;
  std::filesystem::path copy;
  std::int64_t size_bytes = 0;
  std::int64_t page_size = 0;
  std::int64_t page_count = 0;
  std::string sha256;  // of the copy's bytes, 64 lower-case hexadecimal digits
  // Every table of the copy (sqlite_* ones left out) with its rows, by name.
  std::vector<std::pair<std::string, std::int64_t>> tables;
  std::int64_t steps = 0;         // sqlite3_backup_step() calls that copied pages
  std::int64_t busy_retries = 0;  // steps repeated because the source was locked
  std::chrono::milliseconds took{0};

  // The rows of `table`, or -1 when the copy has no such table.
  std::int64_t rows(std::string_view table) const;
};

// Why a copy failed, in words for the person running the backup: what was being done, to
// which file, and SQLite's or the system's own text. `error` is the kind:
//   unavailable  the source cannot be opened (missing, unreadable) or is not a database
//   io           the copy cannot be written (folder missing or read-only, disk full)
//   busy         the source stayed locked longer than BackupOptions::busy_limit
//   corrupt      the copy failed its integrity check (so the source is damaged)
//   constraint   the target exists already (a copy never overwrites a file)
struct BackupFailure {
  StoreError error = StoreError::io;
  std::string message;
};

// Lets `Result<T, BackupFailure>::value()` throw std::runtime_error when a caller insists.
[[noreturn]] void throw_exception_from_error(const BackupFailure& e,
                                             const boost::source_location& loc);

// Copies the SQLite database `source` to `target`, a new file in an existing folder:
//   1. opens `source` read-only (never creating it) and starts one read transaction, so every
//      page comes from one committed state of the database. In WAL mode (every file of the
//      engine) a reader neither waits for nor holds up writers: commits go on during the copy,
//      which does not see them, and the WAL cannot be checkpointed past the copy's snapshot
//      until it is done, so it grows by what is committed meanwhile;
//   2. copies it with sqlite3_backup_step(), `pages_per_step` at a time, pausing between steps
//      and waiting out locks (BackupOptions);
//   3. runs the integrity check on the copy, turns it into a single file (journal_mode=DELETE:
//      no -wal or -shm beside it; the engine switches it back to WAL when it opens it) and
//      counts every table's rows;
//   4. gives the copy the source's permission bits, flushes it and its folder to disk and
//      takes its SHA-256.
// The copy is written as `target` + ".partial" and renamed to `target` only when all of this
// succeeded; on failure nothing is left behind. Blocking; the calling thread only.
Result<BackupCopy, BackupFailure> backup_sqlite_file(const std::filesystem::path& source,
                                                     const std::filesystem::path& target,
                                                     const BackupOptions& options = {});

// SHA-256 of a file's bytes as 64 lower-case hexadecimal digits; the system's error (a missing
// or unreadable file) otherwise.
Result<std::string> sha256_of_file(const std::filesystem::path& file);

}  // namespace hisbridge::store
