#pragma once

// pg_dump run by `hisbridge backup --pg-dump` for one PostgreSQL database: the command made
// from the config's location with its password kept off the command line (other users read
// command lines in `ps`), and run into a file that appears whole or not at all.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.hpp"

namespace hisbridge::app {

struct PgDumpCommand {
  // argv, the program first: custom format into `writes`, the location without its password.
  std::vector<std::string> arguments;
  // The location's password, handed to pg_dump in PGPASSWORD; none: pg_dump finds one itself
  // (~/.pgpass, PGPASSWORD of the caller) or the server asks none.
  std::optional<std::string> password;
  // Whether the location sets its own connect_timeout (else PGCONNECT_TIMEOUT bounds it).
  bool sets_connect_timeout = false;
  // The file pg_dump writes: `<file>.part`, renamed to the file when it succeeds.
  std::filesystem::path writes;
};

// The command that dumps the database `location` names (postgresql://... or key=value pairs)
// into `file`; the error says why libpq cannot read the location. `program` is pg_dump, found
// on PATH unless it holds a '/'.
Result<PgDumpCommand, std::string> pg_dump_command(std::string_view location,
                                                   const std::filesystem::path& file,
                                                   std::string program = "pg_dump");

// Runs `command`, which writes `file` under a temporary name beside it (`writes`); when
// pg_dump succeeds the temporary is flushed and renamed to `file` and the folder flushed, else
// it is removed. pg_dump's own messages go to this process's standard error. The error says
// what failed: pg_dump missing, its exit status or signal, the file not written.
Result<void, std::string> run_pg_dump(const PgDumpCommand& command,
                                      const std::filesystem::path& file);

}  // namespace hisbridge::app
