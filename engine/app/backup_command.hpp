#pragma once

#include <iosfwd>
#include <string>

namespace CLI {
class App;
}

namespace hisbridge::app {

struct BackupOptions {
  std::string config_file = "config/hisbridge.json";
  std::string to;              // --to DIR
  bool json = false;           // print the manifest instead of the summary for a person
  bool quick_check = false;    // PRAGMA quick_check instead of integrity_check
  bool pg_dump = false;        // run pg_dump for the databases in PostgreSQL, in their order
  std::string engine_version;  // written into the manifest (main passes its own)
};

// Declares `hisbridge backup` and its options on `app`, filling `options`.
CLI::App* add_backup_command(CLI::App& app, BackupOptions& options);

// `hisbridge backup [--config FILE] --to DIR [--json] [--quick-check]`: a consistent copy of
// every SQLite database the config's engine uses (backup_plan.hpp: the journal, its timeline,
// the HIS staging databases), made while the engine runs or not (store/sqlite_backup.hpp), each
// checked, into DIR (created when missing; one that holds anything but the journal's pg_dump,
// made before, is refused), recorded first as an operator action in the audit log, with
// DIR/backup.json, the manifest: engine version, time, and for each copy the file it came from
// (where a restore puts it back), size, pages, SHA-256 and rows per table (the journal's
// messages) and the journal's dump when DIR holds it. Relative paths in the config are taken
// from the working directory, as `serve` takes them: run it where the engine runs. Databases in
// PostgreSQL are not copied; for each not dumped yet, the pg_dump line that backs it up is
// printed (password as ***) with when to run it: the journal's before the copies (a warning
// when its dump is missing), a HIS database's after them. With --pg-dump the command runs
// those itself in that order (pg_dump_run.hpp), a journal's dump already in DIR kept, and a
// config whose databases are all in PostgreSQL is backed up by its dumps alone. Prints a
// summary (or, with --json, the manifest) on standard output, and the files a restore also
// needs (config, mappings, audit log, TLS keys), which it does not copy.
//
// Exit status: 0 every SQLite database copied and checked (and, with --pg-dump, every
// PostgreSQL database dumped); 2 bad usage or input (an invalid config, DIR not empty or not a
// folder, no SQLite database to copy without --pg-dump); 1 a database could not be read, the
// audit entry could not be written, a copy could not be written or failed its check, a
// pg_dump failed: what was copied or dumped by the command is removed again,
// and DIR holds no backup.json.
int run_backup(const BackupOptions& options, std::ostream& out, std::ostream& err);

}  // namespace hisbridge::app
