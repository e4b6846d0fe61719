// The `hisbridge` binary: one command per job an operator or an interface analyst has.
// Exit status: 0 success, 2 bad usage or invalid input, 1 any other failure.
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "engine/app/backup_command.hpp"
#include "engine/app/check_config_command.hpp"
#include "engine/app/map_command.hpp"
#include "engine/app/parse_command.hpp"
#include "engine/app/replay_command.hpp"
#include "engine/app/send_command.hpp"
#include "engine/app/serve_command.hpp"
#include "engine/app/simulate_command.hpp"
#include "engine/app/token_command.hpp"

namespace {

constexpr int kBadUsage = 2;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hisbridge: hospital integration engine for HL7 v2 laboratory and radiology links"};
  app.set_version_flag("--version", std::string("hisbridge ") + HISBRIDGE_VERSION);
  app.require_subcommand(1);

  hisbridge::app::ParseOptions parse;
  auto* parse_cmd = app.add_subcommand("parse", "Print every message in FILE as a tree (or JSON)");
  parse_cmd->add_option("FILE", parse.file, "HL7 v2 file: one message, a batch, or many")
      ->required();
  parse_cmd->add_flag("--json", parse.json, "Print JSON instead of a tree");
  parse_cmd->add_option("--charset", parse.charset,
                        "Character set to read the file in, overriding MSH-18 (e.g. CP1258)");

  hisbridge::app::SendOptions send;
  std::int64_t timeout_ms = send.timeout.count();
  auto* send_cmd = app.add_subcommand("send", "Send messages over MLLP and print each ACK");
  send_cmd->add_option("--host", send.host, "Receiver host name or address")
      ->capture_default_str();
  send_cmd->add_option("--port", send.port, "Receiver MLLP port")->required();
  send_cmd->add_option("--timeout-ms", timeout_ms, "How long to wait for each ACK")
      ->capture_default_str();
  send_cmd->add_option("--charset", send.charset,
                       "Character set the files are in, overriding MSH-18");
  send_cmd->add_option("FILE", send.files, "HL7 v2 files: one message, a batch, or many")
      ->required();

  hisbridge::app::MapOptions map;
  auto* map_cmd = app.add_subcommand(
      "map", "Dry-run a mapping: print the records and events each message in MESSAGE gives");
  map_cmd->add_option("--mapping", map.mapping, "Mapping file")->required();
  map_cmd->add_option("MESSAGE", map.file, "Message file: one message, a batch, many, or XML")
      ->required();
  map_cmd->add_option("--charset", map.charset,
                      "Character set to read the messages in, overriding MSH-18");
  map_cmd->add_option("--timezone", map.timezone,
                      "Zone of HL7 times without an offset, unless the mapping names one")
      ->capture_default_str();

  std::string config_file = "config/hisbridge.json";
  auto* serve_cmd = app.add_subcommand("serve", "Run the engine until SIGINT or SIGTERM");
  serve_cmd->add_option("--config", config_file, "Config file")->capture_default_str();
  auto* check_cmd =
      app.add_subcommand("check-config", "Validate the config and the files it names");
  check_cmd->add_option("--config", config_file, "Config file")->capture_default_str();

  hisbridge::app::SimulateOptions simulate;
  auto* simulate_cmd = hisbridge::app::add_simulate_command(app, simulate);
  hisbridge::app::ReplayOptions replay;
  auto* replay_cmd = hisbridge::app::add_replay_command(app, replay);
  hisbridge::app::TokenOptions token;
  auto* token_cmd = hisbridge::app::add_token_command(app, token);
  hisbridge::app::BackupOptions backup;
  backup.engine_version = HISBRIDGE_VERSION;
  auto* backup_cmd = hisbridge::app::add_backup_command(app, backup);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kBadUsage;
  }

  if (parse_cmd->parsed()) {
    return hisbridge::app::run_parse(parse, std::cout, std::cerr);
  }
  if (map_cmd->parsed()) {
    return hisbridge::app::run_map(map, std::cout, std::cerr);
  }
  if (serve_cmd->parsed()) {
    return hisbridge::app::run_serve(config_file);
  }
  if (check_cmd->parsed()) {
    return hisbridge::app::run_check_config(config_file, std::cout, std::cerr);
  }
  if (send_cmd->parsed()) {
    send.timeout = std::chrono::milliseconds(timeout_ms);
    return hisbridge::app::run_send(send, std::cout, std::cerr);
  }
  if (simulate_cmd->parsed()) {
    return hisbridge::app::run_simulate(simulate, std::cout, std::cerr);
  }
  if (replay_cmd->parsed()) {
    return hisbridge::app::run_replay(replay, std::cout, std::cerr);
  }
  if (token_cmd->parsed()) {
    return hisbridge::app::run_token(token, std::cout, std::cerr);
  }
  if (backup_cmd->parsed()) {
    return hisbridge::app::run_backup(backup, std::cout, std::cerr);
  }
  return kBadUsage;
}
