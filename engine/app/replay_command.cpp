#include "engine/app/replay_command.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "adapters/admin/iso_time.hpp"
#include "engine/app/replay_progress.hpp"
#include "engine/audit/audit_file.hpp"
#include "engine/audit/audit_trail.hpp"
#include "engine/audit/os_user.hpp"
#include "engine/config/config_loader.hpp"
#include "engine/mapping/time_zone.hpp"
#include "engine/replay/replay.hpp"
#include "engine/replay/selection.hpp"
#include "engine/store/open_store.hpp"

namespace hisbridge::app {
namespace {

using nlohmann::ordered_json;

constexpr int kDone = 0;
constexpr int kFailed = 1;
constexpr int kBadInput = 2;

enum class Mode { messages, range, dead_letters };

// What the options name, checked against the config: nothing is written before this holds.
struct Plan {
  Mode mode = Mode::messages;
  std::vector<std::int64_t> ids;
  store::ReprocessRange range;
  std::string channel;
  std::string queue;
  std::string what;     // the selection in words, for the question and the summary
  ordered_json detail;  // the selection for the audit row
};

Result<Plan, std::string> range_plan(const ReplayOptions& o, const config::Config& config) {
  for (const auto& [name, value] : {std::pair("--channel", &o.channel),
                                    std::pair("--from", &o.from), std::pair("--to", &o.to)}) {
    if (value->empty()) {
      return {boost::system::in_place_error,
              std::string(name) + " is missing: a range replay needs --channel, --from and --to"};
    }
  }
  auto source = replay::channel_source(config, o.channel);
  if (!source) {
    return {boost::system::in_place_error, source.error()};
  }
  auto zone = mapping::TimeZone::load(config.timezone);
  const mapping::TimeZone tz = zone ? *zone : mapping::TimeZone::utc();
  const auto from = admin::parse_iso(o.from, tz);
  const auto to = admin::parse_iso(o.to, tz);
  for (const auto& [name, text, at] :
       {std::tuple("--from", &o.from, &from), std::tuple("--to", &o.to, &to)}) {
    if (!*at) {
      return {boost::system::in_place_error,
              std::string(name) + ": '" + *text +
                  "' is not an ISO 8601 date or time (2026-03-05, 2026-03-05T08:15:00+07:00)"};
    }
  }
  if (*from >= *to) {
    return {boost::system::in_place_error, std::string("--to must be later than --from")};
  }
  Plan p;
  p.mode = Mode::range;
  p.range = {*source, *from, *to};
  p.channel = o.channel;
  p.what = "messages of channel " + o.channel + " (source " + *source + ") received from " +
           admin::format_iso(*from, tz) + " to " + admin::format_iso(*to, tz);
  p.detail = {{"via", "cli"},
              {"channel", o.channel},
              {"source", *source},
              {"from", admin::format_iso(*from, tz)},
              {"to", admin::format_iso(*to, tz)}};
  return p;
}

Result<Plan, std::string> plan_of(const ReplayOptions& o, const config::Config& config) {
  const int modes = (o.messages.empty() ? 0 : 1) + (o.dead_letters.empty() ? 0 : 1) +
                    (o.channel.empty() && o.from.empty() && o.to.empty() ? 0 : 1);
  if (modes != 1) {
    return {boost::system::in_place_error,
            std::string("name one thing to replay: --message ID..., --channel NAME --from T "
                        "--to T, or --dead-letters CHANNEL/DESTINATION")};
  }
  Plan p;
  if (!o.dead_letters.empty()) {
    auto queue = replay::destination_queue(config, o.dead_letters);
    if (!queue) {
      return {boost::system::in_place_error, queue.error()};
    }
    p.mode = Mode::dead_letters;
    p.queue = *queue;
    p.what = "dead letters of " + p.queue;
    p.detail = {{"via", "cli"}, {"queue", p.queue}};
    return p;
  }
  if (o.messages.empty()) {
    return range_plan(o, config);
  }
  for (const std::int64_t id : o.messages) {
    if (id < 1) {
      return {boost::system::in_place_error,
              "--message: " + std::to_string(id) + " is not a message id"};
    }
  }
  p.ids = o.messages;
  p.what = "messages asked for by id";
  return p;
}

// How many the replay is about to touch, for the question and the progress.
Result<std::size_t> count(const Plan& p, store::Store& store) {
  if (p.mode == Mode::messages) {
    return p.ids.size();
  }
  if (p.mode == Mode::range) {
    return store.count_reprocessable(p.range);
  }
  auto depths = store.queue_depths();
  if (!depths) {
    return depths.error();
  }
  std::size_t dead = 0;
  for (const store::QueueDepth& d : *depths) {
    dead += d.queue == p.queue ? static_cast<std::size_t>(d.dead) : 0;
  }
  return dead;
}

bool confirmed(const std::string& question, std::istream& answers, std::ostream& err) {
  err << "Replay " << question << "? [y/N] " << std::flush;
  std::string answer;
  std::getline(answers, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

// A line for each message that did not go back; kBadInput when one was refused or unknown.
int report_messages(const replay::MessagesOutcome& outcome, std::ostream& out) {
  int status = kDone;
  for (const replay::MessageResult& m : outcome.messages) {
    if (m.verdict == replay::Verdict::sent_back) {
      continue;
    }
    out << "message " << m.id << ": " << m.reason << "\n";
    if (m.verdict != replay::Verdict::already_received) {
      status = kBadInput;
    }
  }
  return status;
}

// Runs the plan with progress, records it in the journal's audit rows and the audit file;
// the exit status.
int execute(const Plan& p, store::Store& store, std::shared_ptr<audit::AuditFile> file,
            std::size_t total, std::ostream& out, std::ostream& err,
            const ReplayConsole& console) {
  ReplayProgress progress(err, console.progress_bar,
                          p.mode == Mode::dead_letters ? "dead letters" : "messages");
  const replay::Progress report = [&](std::size_t done, std::size_t of) {
    progress.update(done, of);
  };
  replay::MessagesOutcome by_id;
  replay::Outcome outcome;
  std::string_view action = replay::kReprocessMessages;
  ordered_json detail = p.detail;
  if (p.mode == Mode::messages) {
    by_id = replay::reprocess_messages(store, p.ids, report);
    outcome = by_id;
    detail = replay::describe(by_id, "cli");
  } else if (p.mode == Mode::range) {
    action = replay::kReprocessRange;
    outcome = replay::reprocess_range(store, p.range, report);
  } else {
    action = replay::kRequeueDeadLetters;
    outcome = replay::requeue_dead_letters(store, p.queue, report);
  }
  progress.finish();
  audit::AuditTrail trail(audit::AuditTrail::journal_of(store), std::move(file));
  const auto audited =
      replay::write_audit(trail, {audit::os_user(), "cli", std::string(action), detail}, outcome);
  const int messages_status = report_messages(by_id, out);
  if (p.mode == Mode::dead_letters) {
    out << "made " << outcome.changed << " of " << total << " dead letters of " << p.queue
        << " pending again\n";
  } else {
    out << "sent " << outcome.changed << " of " << total << " " << p.what
        << " back to processing\n";
  }
  if (outcome.error) {
    err << "replay: the journal failed after " << outcome.changed << ": " << outcome.error.message()
        << " (what was done stays done; run the command again)\n";
    return kFailed;
  }
  if (!audited) {
    err << "replay: the replay is done, but its audit entry could not be written: "
        << audited.error() << "\n";
    return kFailed;
  }
  return messages_status;
}

// The store's own log lines go to standard error, at warn and above: standard output carries
// the command's answer.
void log_to_stderr() {
  auto logger = spdlog::get("replay");
  if (!logger) {
    logger = spdlog::stderr_color_mt("replay");
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::warn);
}

}  // namespace

CLI::App* add_replay_command(CLI::App& app, ReplayOptions& o) {
  auto* cmd = app.add_subcommand(
      "replay",
      "Send stored messages back through processing, or dead letters back to their "
      "queue, with a progress bar");
  cmd->add_option("--config", o.config_file, "Config file")->capture_default_str();
  cmd->add_option("--message", o.messages, "Message ids to process again")->expected(1, -1);
  cmd->add_option("--channel", o.channel,
                  "With --from and --to: the messages of this channel's source received then");
  cmd->add_option("--from", o.from, "Start of the range, included (ISO 8601, config's zone)");
  cmd->add_option("--to", o.to, "End of the range, not included");
  cmd->add_option("--dead-letters", o.dead_letters,
                  "Every dead letter of this destination queue (CHANNEL/DESTINATION)");
  cmd->add_flag("--yes,-y", o.yes, "Replay without asking first");
  return cmd;
}

int run_replay(const ReplayOptions& options, std::ostream& out, std::ostream& err,
               const ReplayConsole& console) {
  log_to_stderr();
  config::Config config;
  try {
    config = config::load_config(options.config_file);
  } catch (const config::ConfigErrors& e) {
    for (const auto& error : e.errors()) {
      err << error.to_string() << "\n";
    }
    return kBadInput;
  }
  auto plan = plan_of(options, config);
  if (!plan) {
    err << "replay: " << plan.error() << "\n";
    return kBadInput;
  }
  auto opened = store::open_store(config.store.location);
  if (!opened) {
    err << "replay: cannot open the journal " << store::redacted_location(config.store.location)
        << ": " << opened.error().message() << "\n";
    return kFailed;
  }
  // The audit file the engine appends to (config "audit"): a replay that could not be
  // recorded there is not started.
  auto file = audit::AuditFile::open(audit::file_options(config.audit));
  if (!file) {
    err << "replay: " << file.error() << "\n";
    return kFailed;
  }
  auto total = count(*plan, **opened);
  if (!total) {
    err << "replay: reading the journal failed: " << total.error().message() << "\n";
    return kFailed;
  }
  const std::string question = std::to_string(*total) + " " + plan->what;
  if (*total > 0 && !options.yes) {
    if (console.answers == nullptr) {
      err << "replay: " << question << ": no terminal to ask on; add --yes to replay\n";
      return kBadInput;
    }
    if (!confirmed(question, *console.answers, err)) {
      err << "replay: nothing replayed\n";
      return kFailed;
    }
  }
  return execute(*plan, **opened, std::move(*file), *total, out, err, console);
}

int run_replay(const ReplayOptions& options, std::ostream& out, std::ostream& err) {
  ReplayConsole console;
  console.progress_bar = isatty(STDERR_FILENO) == 1;
  console.answers = isatty(STDIN_FILENO) == 1 ? &std::cin : nullptr;
  return run_replay(options, out, err, console);
}

}  // namespace hisbridge::app
