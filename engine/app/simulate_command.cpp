#include "engine/app/simulate_command.hpp"

#include <CLI/CLI.hpp>
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <random>
#include <string>
#include <utility>

#include "adapters/mllp/mllp_client.hpp"
#include "engine/simulate/dry_run.hpp"
#include "engine/simulate/runner.hpp"
#include "engine/simulate/summary.hpp"
#include "engine/simulate/traffic_generator.hpp"

namespace hisbridge::app {
namespace {

constexpr int kFailure = 1;
constexpr int kBadUsage = 2;
constexpr std::size_t kMaxHospitals = 100;
constexpr std::size_t kMaxPatients = 100'000;

std::atomic<bool> g_stop{false};

extern "C" void request_stop(int) { g_stop.store(true); }

// Installs SIGINT/SIGTERM handlers for the run, so an interrupted run still prints its
// summary; the previous handlers come back when it ends.
class StopOnSignal {
 public:
  StopOnSignal() {
    g_stop.store(false);
    int_ = std::signal(SIGINT, request_stop);
    term_ = std::signal(SIGTERM, request_stop);
  }
  ~StopOnSignal() {
    std::signal(SIGINT, int_);
    std::signal(SIGTERM, term_);
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  void (*int_)(int) = SIG_DFL;
  void (*term_)(int) = SIG_DFL;
};

// One MLLP connection per destination, each kept open and reopened by the client after a
// failure.
class MllpSink final : public simulate::Sink {
 public:
  MllpSink(const SimulateOptions& o, mllp::ClientOptions client)
      : host_(o.host),
        ports_{o.lis_port, o.ris_port},
        lis_(o.host, o.lis_port, client),
        ris_(o.host, o.ris_port, client) {}

  simulate::SendOutcome send(const simulate::Outgoing& message) override {
    mllp::MllpClient& client = message.destination == simulate::Destination::lis ? lis_ : ris_;
    auto ack = client.send(message.bytes);
    if (ack) {
      return {simulate::SendOutcome::Kind::acknowledged, std::move(*ack), {}};
    }
    const boost::system::error_code ec = ack.error();
    using Kind = simulate::SendOutcome::Kind;
    Kind kind = Kind::lost;
    if (ec == mllp::Error::connection_refused) {
      kind = Kind::refused;
    } else if (ec == mllp::Error::resolve_failed || ec == mllp::Error::forbidden_byte ||
               ec == mllp::Error::frame_too_large) {
      kind = Kind::failed;
    }
    return {kind, {}, ec.message()};
  }

  std::string address(simulate::Destination d) const override {
    return host_ + ":" + std::to_string(ports_[static_cast<std::size_t>(d)]);
  }

 private:
  std::string host_;
  std::array<std::uint16_t, 2> ports_;
  mllp::MllpClient lis_;
  mllp::MllpClient ris_;
};

bool is_share(double x) { return x >= 0 && x <= 1; }

// Seconds since the epoch, now, on the wall clock.
simulate::SimTime wall_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Every problem with the options, each written as it is found, so one run names them all.
class Problems {
 public:
  explicit Problems(std::ostream& err) : err_(err) {}
  void add(const std::string& message) {
    err_ << "simulate: " << message << "\n";
    ok_ = false;
  }
  bool ok() const { return ok_; }

 private:
  std::ostream& err_;
  bool ok_ = true;
};

// The simulated span: --start, or now minus --backfill, and --duration.
void read_span(const SimulateOptions& o, simulate::SimTime now, simulate::SimulationOptions& sim,
               Problems& problems) {
  if (auto duration = simulate::parse_duration(o.duration); duration && *duration > 0) {
    sim.duration = *duration;
  } else {
    problems.add("--duration: " +
                 (duration ? std::string("must be longer than 0") : duration.error().message));
  }
  if (!o.start.empty() && !o.backfill.empty()) {
    problems.add("give --start or --backfill, not both");
  } else if (!o.start.empty()) {
    if (auto start = simulate::parse_iso_time(o.start, sim.offset)) {
      sim.start = *start;
    } else {
      problems.add("--start: " + start.error().message);
    }
  } else if (auto backfill = simulate::parse_duration(o.backfill.empty() ? "8h" : o.backfill)) {
    sim.start = (now - *backfill) / 60 * 60;  // on a whole minute, as a hospital clock reads
  } else {
    problems.add("--backfill: " + backfill.error().message);
  }
}

// The simulation the options ask for.
void read_simulation(const SimulateOptions& o, simulate::SimTime now,
                     simulate::SimulationOptions& sim, Problems& problems) {
  if (auto offset = simulate::parse_utc_offset(o.utc_offset)) {
    sim.offset = *offset;
  } else {
    problems.add("--utc-offset: " + offset.error().message);
  }
  read_span(o, now, sim, problems);
  if (o.hospitals < 1 || o.hospitals > kMaxHospitals) {
    problems.add("--hospitals must be 1-" + std::to_string(kMaxHospitals));
  }
  if (o.patients < 1 || o.patients > kMaxPatients) {
    problems.add("--patients must be 1-" + std::to_string(kMaxPatients));
  }
  for (const auto& [name, value] : {std::pair{"--late-rate", o.late_rate},
                                    {"--corrected-rate", o.corrected_rate},
                                    {"--skew-rate", o.skew_rate},
                                    {"--malformed-rate", o.malformed_rate}}) {
    if (!is_share(value)) {
      problems.add(std::string(name) + " must be a share between 0 and 1");
    }
  }
  sim.seed = o.seed.value_or(std::random_device{}());
  sim.hospitals = o.hospitals;
  sim.patients_per_day = o.patients;
  sim.late_rate = o.late_rate;
  sim.corrected_rate = o.corrected_rate;
  sim.skew_rate = o.skew_rate;
  sim.malformed_rate = o.malformed_rate;
}

void check_sending(const SimulateOptions& o, Problems& problems) {
  if (o.host.empty()) {
    problems.add("--host must not be empty");
  }
  if (o.lis_port == 0 || o.ris_port == 0) {
    problems.add("--lis-port and --ris-port must be 1-65535");
  }
  if (o.speed < 0 || o.rate < 0) {
    problems.add("--speed and --rate must not be negative");
  }
  if (o.timeout_ms <= 0 || o.reconnect_seconds < 0) {
    problems.add("--timeout-ms must be positive and --reconnect-window not negative");
  }
}

int dry_run(const SimulateOptions& o, const simulate::SimulationOptions& sim, std::ostream& out,
            std::ostream& err) {
  simulate::TrafficGenerator traffic(sim);
  auto written = simulate::write_dry_run(traffic, o.dry_run, sim.offset);
  if (!written) {
    err << "simulate: " << written.error().message << "\n";
    return kFailure;
  }
  const std::string summary = simulate::summary_text(sim, traffic, nullptr, {}, {});
  std::ofstream(std::filesystem::path(o.dry_run) / "summary.txt", std::ios::binary) << summary;
  out << "wrote " << *written << " messages to " << o.dry_run << "\n" << summary;
  return 0;
}

int send(const SimulateOptions& o, const simulate::SimulationOptions& sim, simulate::SimTime now,
         std::ostream& out, std::ostream& err) {
  mllp::ClientOptions client;
  client.timeout = std::chrono::milliseconds(o.timeout_ms);
  MllpSink sink(o, client);
  simulate::SteadyWallClock clock;
  simulate::Pacer pacer(now, clock.now(), o.speed, o.rate);
  simulate::TrafficGenerator traffic(sim);
  StopOnSignal stop_on_signal;
  simulate::RunSettings settings;
  settings.progress = !o.quiet;
  settings.reconnect_window = std::chrono::seconds(o.reconnect_seconds);
  settings.stop = &g_stop;
  if (!o.quiet) {
    out << "simulate: seed " << sim.seed << ", " << simulate::iso_time(sim.start, sim.offset)
        << " to " << simulate::iso_time(traffic.end(), sim.offset) << ", to lis "
        << sink.address(simulate::Destination::lis) << " and ris "
        << sink.address(simulate::Destination::ris) << ": the part before now at up to "
        << (o.rate > 0 ? std::to_string(static_cast<long long>(o.rate)) + " messages/s"
                       : "full speed")
        << ", the rest at " << o.speed << "x\n"
        << std::flush;
  }
  simulate::Runner runner(traffic, sink, pacer, clock, out, settings, sim.offset);
  const simulate::RunReport report = runner.run();
  out << simulate::summary_text(sim, traffic, &report, sink.address(simulate::Destination::lis),
                                sink.address(simulate::Destination::ris));
  if (!report.failure.empty()) {
    err << "simulate: " << report.failure << "\n";
    return kFailure;
  }
  if (report.interrupted) {
    err << "simulate: interrupted\n";
    return kFailure;
  }
  const bool mismatch = report.tally(simulate::Destination::lis).unexpected > 0 ||
                        report.tally(simulate::Destination::ris).unexpected > 0;
  return mismatch ? kFailure : 0;
}

}  // namespace

CLI::App* add_simulate_command(CLI::App& app, SimulateOptions& o) {
  auto* cmd = app.add_subcommand(
      "simulate", "Send a realistic day of LIS, RIS and ADT traffic to a running engine");
  cmd->add_option("--host", o.host, "Engine host name or address")->capture_default_str();
  cmd->add_option("--lis-port", o.lis_port, "MLLP port of the LIS channel")->capture_default_str();
  cmd->add_option("--ris-port", o.ris_port, "MLLP port of the RIS channel")->capture_default_str();
  cmd->add_option("--hospitals", o.hospitals, "Number of hospitals")->capture_default_str();
  cmd->add_option("--patients", o.patients, "Registrations per hospital per day")
      ->capture_default_str();
  cmd->add_option("--start", o.start,
                  "Start of the simulated span, ISO 8601 (default: now minus --backfill)");
  cmd->add_option("--backfill", o.backfill,
                  "How much of the span lies before now, sent at once (default 8h)");
  cmd->add_option("--duration", o.duration, "Simulated time to cover (e.g. 24h, 90m)")
      ->capture_default_str();
  cmd->add_option("--speed", o.speed,
                  "Simulated seconds per second after the backfill (60: a minute a second; "
                  "0: send everything at once)")
      ->capture_default_str();
  cmd->add_option("--rate", o.rate, "Messages per second at most (0: no limit)")
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "Random seed: the same seed and start give the same day");
  cmd->add_option("--dry-run", o.dry_run, "Write the messages into this folder instead");
  cmd->add_flag("--quiet", o.quiet, "No progress lines, only the summary");
  cmd->add_option("--utc-offset", o.utc_offset, "The hospitals' UTC offset")->capture_default_str();
  cmd->add_option("--late-rate", o.late_rate, "Share of orders that breach their target")
      ->capture_default_str();
  cmd->add_option("--corrected-rate", o.corrected_rate,
                  "Share of final results and reports corrected later")
      ->capture_default_str();
  cmd->add_option("--skew-rate", o.skew_rate,
                  "Share of lab finals stamped before the specimen's receipt")
      ->capture_default_str();
  cmd->add_option("--malformed-rate", o.malformed_rate,
                  "Share of messages made unreadable (answered AR)")
      ->capture_default_str();
  cmd->add_option("--timeout-ms", o.timeout_ms, "How long to wait for each ACK")
      ->capture_default_str();
  cmd->add_option("--reconnect-window", o.reconnect_seconds,
                  "Seconds to keep retrying an engine that stopped answering")
      ->capture_default_str();
  return cmd;
}

int run_simulate(const SimulateOptions& options, std::ostream& out, std::ostream& err) {
  const simulate::SimTime now = wall_now();
  simulate::SimulationOptions sim;
  // Every option is checked, also those a dry run does not use: a typo never waits for the
  // first real run to show.
  Problems problems(err);
  read_simulation(options, now, sim, problems);
  check_sending(options, problems);
  if (!problems.ok()) {
    return kBadUsage;
  }
  if (!options.dry_run.empty()) {
    return dry_run(options, sim, out, err);
  }
  return send(options, sim, now, out, err);
}

}  // namespace hisbridge::app
