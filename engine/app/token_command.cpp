#include "engine/app/token_command.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <ostream>

#include "engine/auth/role.hpp"
#include "engine/auth/token.hpp"
#include "engine/config/admin_reader.hpp"

namespace hisbridge::app {
namespace {

constexpr int kBadUsage = 2;

}  // namespace

CLI::App* add_token_command(CLI::App& app, TokenOptions& options) {
  auto* cmd = app.add_subcommand(
      "token", "Make an admin API token and print it with its entry for admin.tokens");
  cmd->add_option("--name", options.name, "Who holds it (named in the audit log)")->required();
  cmd->add_option("--role", options.role, "viewer or operator")->required();
  cmd->add_flag("--json", options.json, "Print one JSON object (token, name, role, sha256)");
  return cmd;
}

int run_token(const TokenOptions& options, std::ostream& out, std::ostream& err) {
  const auto role = auth::parse_role(options.role);
  if (!role) {
    err << "hisbridge token: role '" << options.role << "' is not one of viewer, operator\n";
    return kBadUsage;
  }
  if (!config::is_valid_token_name(options.name)) {
    err << "hisbridge token: name '" << options.name
        << "' must be 1 to 64 letters, digits, '-', '_', '.' or '@'\n";
    return kBadUsage;
  }
  const auto token = auth::make_token();
  if (!token) {
    err << "hisbridge token: the system's random generator failed; no token made\n";
    return 1;
  }
  nlohmann::ordered_json entry;
  entry["name"] = options.name;
  entry["role"] = std::string(auth::to_string(*role));
  entry["sha256"] = auth::to_hex(auth::digest(*token));
  if (options.json) {
    nlohmann::ordered_json all;
    all["token"] = *token;
    all.update(entry);
    out << all.dump() << "\n";
    return 0;
  }
  out << "Token for " << options.name << " (" << auth::to_string(*role)
      << "). It is shown this once: hand it to its holder and keep it out of the config.\n\n"
      << "  " << *token << "\n\n"
      << "Add this entry to \"tokens\" in the config's \"admin\" section, then reload the "
         "config (systemctl reload hisbridge, or SIGHUP):\n\n"
      << "  " << entry.dump() << "\n";
  return 0;
}

}  // namespace hisbridge::app
