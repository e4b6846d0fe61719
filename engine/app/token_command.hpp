#pragma once

#include <iosfwd>
#include <string>

namespace CLI {
class App;
}

namespace hisbridge::app {

struct TokenOptions {
  std::string name;
  std::string role;
  bool json = false;  // one JSON object for scripts instead of the text for a person
};

// Declares `hisbridge token` and its options on `app`, filling `options`.
CLI::App* add_token_command(CLI::App& app, TokenOptions& options);

// `hisbridge token --name NAME --role viewer|operator [--json]`: makes a new admin API token
// and prints it once, with the entry to add to admin.tokens in the config (its SHA-256, never
// the token). Needs no config and touches no file: what it prints is all there is.
// Exit status: 0 done; 2 a bad name or role; 1 the system's random generator failed.
int run_token(const TokenOptions& options, std::ostream& out, std::ostream& err);

}  // namespace hisbridge::app
