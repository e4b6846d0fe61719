#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace hisbridge::app {

struct ReplayOptions {
  std::string config_file = "config/hisbridge.json";
  std::vector<std::int64_t> messages;  // --message ID...
  std::string channel;                 // --channel with --from and --to
  std::string from;
  std::string to;
  std::string dead_letters;  // --dead-letters CHANNEL/DESTINATION
  bool yes = false;          // no question before the replay
};

// Where the command talks to a person: whether standard error is a terminal (a redrawn
// progress bar, else plain lines) and where an answer to "go ahead?" comes from (null: no one
// can answer, so a replay without --yes is refused).
struct ReplayConsole {
  bool progress_bar = false;
  std::istream* answers = nullptr;
};

// Declares `hisbridge replay` and its options on `app`, filling `options`.
CLI::App* add_replay_command(CLI::App& app, ReplayOptions& options);

// `hisbridge replay [--config FILE] (--message ID... | --channel NAME --from T --to T |
// --dead-letters CHANNEL/DESTINATION) [--yes]` (engine/replay/replay.hpp says what a replay
// does). Reads the config as `serve` does and writes the journal it names directly, in short
// steps, whether or not the engine runs: a running engine takes the messages within a second.
// Times are ISO 8601 in the config's time zone unless they carry an offset. Asks before it
// writes unless --yes; shows progress on standard error; records the replay in the journal's
// audit rows and in the config's audit file (config "audit", appended beside the engine's
// lines), actor the OS user, "from": "cli"; prints a summary line (and a line per message it
// could not send back) on standard output. An audit file that cannot be opened stops the
// command before anything is replayed.
//
// Exit status: 0 done; 2 bad usage or input (no or two selections, an unknown channel or
// queue, a bad time, no --yes where no one can be asked, a message id that is unknown,
// rejected or a duplicate: the others are still replayed); 1 the journal or the audit file
// failed, or the question was answered no.
int run_replay(const ReplayOptions& options, std::ostream& out, std::ostream& err,
               const ReplayConsole& console);
// The same on the process's own terminal: standard input and standard error.
int run_replay(const ReplayOptions& options, std::ostream& out, std::ostream& err);

}  // namespace hisbridge::app
