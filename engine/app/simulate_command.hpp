#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace hisbridge::app {

struct SimulateOptions {
  std::string host = "127.0.0.1";
  std::uint16_t lis_port = 2575;
  std::uint16_t ris_port = 2576;
  std::size_t hospitals = 1;
  std::size_t patients = 300;  // registrations per hospital per day
  std::string start;           // ISO 8601; empty: now minus the backfill
  std::string backfill;        // a duration; empty: 8h (only without --start)
  std::string duration = "24h";
  double speed = 1;   // simulated seconds per wall second after the backfill
  double rate = 200;  // messages per second at most; 0: no limit
  std::optional<std::uint64_t> seed;
  std::string dry_run;  // a folder: write the messages there instead of sending
  bool quiet = false;
  std::string utc_offset = "+07:00";
  double late_rate = 0.05;
  double corrected_rate = 0.02;
  double skew_rate = 0.01;
  double malformed_rate = 0.005;
  std::int64_t timeout_ms = 10000;
  std::int64_t reconnect_seconds = 60;
};

// Declares `hisbridge simulate` and its options on `app`, filling `options`.
CLI::App* add_simulate_command(CLI::App& app, SimulateOptions& options);

// `hisbridge simulate`: a seeded, realistic day of LIS, RIS and ADT traffic for one or more
// hospitals (engine/simulate), sent over MLLP to a running engine, or written as files with
// --dry-run. The part of the simulated span before now goes as fast as --rate allows (the day
// so far, so a dashboard fills at once); the rest follows the simulated clock at --speed.
// Every ACK is waited for and counted per destination; progress lines every few seconds and a
// summary at the end go to `out`.
//
// Exit status: 0 when every message went out and every ACK was what the message called for
// (AA, or AR for the deliberately malformed ones); 2 on bad options; 1 when a destination
// refuses the first connection, stays unreachable past the reconnect window, an ACK does not
// match, or the run is interrupted.
int run_simulate(const SimulateOptions& options, std::ostream& out, std::ostream& err);

}  // namespace hisbridge::app
