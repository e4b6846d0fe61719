#pragma once

// The PostgreSQL side of `hisbridge backup`. A journal in PostgreSQL is dumped with pg_dump into
// the backup folder before the SQLite copies are made, so that no HIS copy is older than the
// journal (a restore makes again only what the journal does not count as delivered); a HIS
// database in PostgreSQL is dumped after them. This finds the dumps made before, and says how
// and when to make those not made yet.
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "engine/app/backup_plan.hpp"
#include "engine/core/result.hpp"

namespace hisbridge::app {

// A dump in the backup folder: the journal's, made before the copies (by the operator, or by
// the command with --pg-dump), or a HIS database's, made after them (--pg-dump).
struct Dumped {
  const PostgresDatabase* database;
  std::int64_t size_bytes = 0;
  std::string sha256;
};

// The dump of `database` in the backup folder, with its size and SHA-256; the error names it
// when it cannot be read.
Result<Dumped, std::string> read_dump(const PostgresDatabase& database);

// Whether `dumps` holds the dump of `database`.
bool was_dumped(const PostgresDatabase& database, const std::vector<Dumped>& dumps);

// Whether the backup folder may hold a file named `name` before the backup: the dump of a
// database dumped before the copies (the journal's).
bool is_dump_made_before(const BackupPlan& plan, const std::filesystem::path& name);

// The dumps made before the copies that are in the backup folder, with their size and
// SHA-256; the error names one that cannot be read.
Result<std::vector<Dumped>, std::string> find_dumps(const BackupPlan& plan);

// The manifest's `dumps` (those found) and `not_copied` (the databases not dumped yet, each
// with its pg_dump line and when it is run).
nlohmann::ordered_json dump_entries(const std::vector<Dumped>& dumps);
nlohmann::ordered_json not_copied_entries(const BackupPlan& plan,
                                          const std::vector<Dumped>& dumps);

// The summary's line for each dump found.
void print_dumps(const std::vector<Dumped>& dumps, std::ostream& out);
// How to dump each database not dumped yet, in the order the dumps are made.
void print_dump_lines(const BackupPlan& plan, const std::vector<Dumped>& dumps,
                      std::ostream& out);
// A warning for a journal in PostgreSQL whose dump is not in `dir`: the backup has no journal.
// Each line begins with `who`, as the command's other messages do.
void warn_journal_not_dumped(const BackupPlan& plan, const std::vector<Dumped>& dumps,
                             const std::filesystem::path& dir, std::string_view who,
                             std::ostream& err);

}  // namespace hisbridge::app
