// `hisbridge simulate` in-process: its options as the binary parses them, the exit status of
// bad options (2), of a port where nothing listens (1), and a dry run's files and summary.
#include "engine/app/simulate_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace hisbridge::app {
namespace {

namespace fs = std::filesystem;

// Parses `args` as `hisbridge simulate ARGS` would be; false when CLI11 refuses them.
bool parse(std::vector<std::string> args, SimulateOptions& options) {
  CLI::App app;
  add_simulate_command(app, options);
  args.insert(args.begin(), "simulate");
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
  } catch (const CLI::ParseError&) {
    return false;
  }
  return true;
}

int run(const SimulateOptions& options, std::string& out, std::string& err) {
  std::ostringstream o;
  std::ostringstream e;
  const int status = run_simulate(options, o, e);
  out = o.str();
  err = e.str();
  return status;
}

// A loopback port nothing listens on: bound, then closed.
std::uint16_t closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

class SimulateCommandTest : public ::testing::Test {
 protected:
  hisbridge::testing_support::TempDir dir_{"hisbridge-simulate"};
  const fs::path& folder_ = dir_.path();
};

TEST_F(SimulateCommandTest, OptionsHaveTheDocumentedDefaults) {
  SimulateOptions o;
  ASSERT_TRUE(parse({}, o));
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.lis_port, 2575);
  EXPECT_EQ(o.ris_port, 2576);
  EXPECT_EQ(o.hospitals, 1u);
  EXPECT_EQ(o.patients, 300u);
  EXPECT_EQ(o.duration, "24h");
  EXPECT_FALSE(o.seed.has_value());
  ASSERT_TRUE(parse({"--hospitals", "3", "--seed", "9", "--speed", "60", "--backfill", "2h",
                     "--dry-run", "out", "--quiet"},
                    o));
  EXPECT_EQ(o.hospitals, 3u);
  EXPECT_EQ(o.seed, 9u);
  EXPECT_EQ(o.speed, 60);
  EXPECT_EQ(o.backfill, "2h");
  EXPECT_TRUE(o.quiet);
  SimulateOptions p;
  EXPECT_FALSE(parse({"--hospitals", "many"}, p));
  EXPECT_FALSE(parse({"--lis-port", "70000"}, p));
}

TEST_F(SimulateCommandTest, BadOptionsExitTwoNamingTheOption) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--start", "tomorrow"}, "--start"},
      {{"--start", "2026-03-05", "--backfill", "1h"}, "not both"},
      {{"--backfill", "8"}, "--backfill"},
      {{"--duration", "0"}, "--duration"},
      {{"--utc-offset", "+25:00"}, "--utc-offset"},
      {{"--hospitals", "0"}, "--hospitals"},
      {{"--patients", "0"}, "--patients"},
      {{"--late-rate", "1.5"}, "--late-rate"},
      {{"--malformed-rate", "-0.1"}, "--malformed-rate"},
      {{"--speed", "-2"}, "--speed"},
      {{"--rate", "-1"}, "--rate"},
      {{"--lis-port", "0"}, "--lis-port"},
      {{"--timeout-ms", "0"}, "--timeout-ms"},
  };
  for (const auto& [args, named] : cases) {
    SimulateOptions o;
    ASSERT_TRUE(parse(args, o));
    o.dry_run = (folder_ / "never").string();
    std::string out;
    std::string err;
    EXPECT_EQ(run(o, out, err), 2) << args.front();
    EXPECT_NE(err.find(named), std::string::npos) << err;
  }
  EXPECT_FALSE(fs::exists(folder_ / "never"));
}

TEST_F(SimulateCommandTest, ADryRunWritesTheDayAndItsSummary) {
  SimulateOptions o;
  ASSERT_TRUE(parse({"--start", "2026-03-05T00:00:00+07:00", "--duration", "12h", "--patients",
                     "30", "--seed", "77", "--dry-run", (folder_ / "day").string()},
                    o));
  std::string out;
  std::string err;
  ASSERT_EQ(run(o, out, err), 0) << err;
  EXPECT_TRUE(out.starts_with("wrote ")) << out;
  std::ifstream summary(folder_ / "day" / "summary.txt");
  const std::string text((std::istreambuf_iterator<char>(summary)),
                         std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("simulated: seed 77,"), std::string::npos) << text;
  EXPECT_NE(text.find("2026-03-05T00:00:00+07:00 to 2026-03-05T12:00:00+07:00"), std::string::npos);
  EXPECT_NE(out.find(text), std::string::npos);
  EXPECT_TRUE(fs::exists(folder_ / "day" / "manifest.tsv"));
  EXPECT_FALSE(fs::is_empty(folder_ / "day" / "lis"));

  // The same seed and start again: the same files.
  std::string again;
  o.dry_run = (folder_ / "again").string();
  ASSERT_EQ(run(o, again, err), 0);
  std::ifstream a(folder_ / "day" / "manifest.tsv");
  std::ifstream b(folder_ / "again" / "manifest.tsv");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(a), {}),
            std::string(std::istreambuf_iterator<char>(b), {}));
}

TEST_F(SimulateCommandTest, NothingListeningExitsOneWithTheAddress) {
  SimulateOptions o;
  const std::uint16_t port = closed_port();
  ASSERT_TRUE(parse({"--lis-port", std::to_string(port), "--ris-port", std::to_string(port),
                     "--start", "2026-03-05T08:00", "--duration", "1h", "--seed", "1", "--quiet"},
                    o));
  std::string out;
  std::string err;
  EXPECT_EQ(run(o, out, err), 1);
  EXPECT_NE(err.find("127.0.0.1:" + std::to_string(port) + ": connection refused"),
            std::string::npos)
      << err;
  EXPECT_NE(out.find(" 0 sent"), std::string::npos) << out;  // the summary still comes
}

}  // namespace
}  // namespace hisbridge::app
