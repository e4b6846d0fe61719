#pragma once

// What `hisbridge backup` copies for a given config, worked out without touching a file:
// the engine's SQLite databases in the order they are copied, what is in PostgreSQL instead
// (with the pg_dump line that backs it up), and the files the operator backs up by other means.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/config.hpp"
#include "engine/core/result.hpp"

namespace hisbridge::app {

// One SQLite database the engine uses.
struct BackupSource {
  std::string role;  // "journal", "timeline" or "his"
  // As the config names it (relative paths are taken from the engine's working directory),
  // and absolute: where a restore puts the copy back.
  std::filesystem::path configured;
  std::filesystem::path absolute;
  // A missing journal or HIS database fails the backup (the config points elsewhere than the
  // engine's files, or the command runs in another folder); a missing timeline is skipped: an
  // engine without turnaround intervals never makes one.
  bool required = true;
  std::vector<std::string> used_by;  // "channel/destination" of his-db destinations
};

// A database in PostgreSQL: not copied, backed up with pg_dump into the backup folder.
struct PostgresDatabase {
  std::string role;                 // "journal" or "his"
  std::string location;             // the connection string, password as ***
  std::string connection;           // as the config gives it: for pg_dump, never printed
  std::string pg_dump;              // the command line, password as ***
  std::filesystem::path dump_file;  // the file the command writes, in the backup folder

  // The journal's dump is made before the SQLite copies, a HIS database's after them: a HIS
  // database older than the journal misses the deliveries the journal counts as done in
  // between, and a restore would not make them again (the rule the SQLite copies follow).
  bool dumped_before_copies() const { return role == "journal"; }
};

// A file the backup does not copy but a restore needs.
struct OtherFile {
  std::string what;  // "config", "mapping", "audit log", "TLS private key", ...
  std::filesystem::path path;
};

struct BackupPlan {
  // Journal first, then its timeline, then HIS databases. The timeline is copied after the
  // journal on purpose: the timeline's worker records a batch in the timeline's file before it
  // deletes the batch from the journal's inbox (ADR 0003), so a later timeline copy holds
  // every batch an earlier journal copy no longer has in its inbox; a batch in both is
  // recorded again after a restore, which changes nothing.
  std::vector<BackupSource> sqlite;
  std::vector<PostgresDatabase> postgres;
  std::vector<OtherFile> others;
};

// The plan for `config`, relative paths resolved against `working_directory`; `to` is the
// backup folder, named in the pg_dump lines. A location that is neither SQLite nor PostgreSQL
// is an error (check-config refuses such a config first).
Result<BackupPlan, std::string> plan_backup(const config::Config& config,
                                            const std::filesystem::path& working_directory,
                                            const std::filesystem::path& to);

// The SQLite file a location names (`sqlite:PATH`, `sqlite://PATH`, `sqlite:///ABSOLUTE`, a
// plain path), or nullopt for PostgreSQL and anything that is not a location.
std::optional<std::filesystem::path> sqlite_file_of(std::string_view location);

// The role as a person reads it in a sentence: "journal", "HIS staging database", ...
std::string role_words(const std::string& role);

// A size in bytes as a person reads it: "512 kB", "5.9 MB".
std::string size_text(std::int64_t bytes);

// `text` as one word for a POSIX shell: in single quotes, a quote inside as '\''.
std::string shell_quoted(std::string_view text);

}  // namespace hisbridge::app
