#include "engine/simulate/runner.hpp"

#include <algorithm>
#include <ostream>
#include <thread>

#include "engine/hl7/message.hpp"

namespace hisbridge::simulate {
namespace {

constexpr auto kRetryFirst = std::chrono::seconds(1);
constexpr auto kRetryMax = std::chrono::seconds(5);
// Waits longer than this are cut into slices, so a stop request is seen within it.
constexpr auto kSleepSlice = std::chrono::milliseconds(200);

std::size_t index_of(Destination d) { return static_cast<std::size_t>(d); }

// MSA-1 of a reply, or empty when the reply is not an HL7 message with an MSA.
std::string ack_code(const std::string& ack) {
  auto parsed = hl7::Message::parse(ack);
  if (!parsed) {
    return {};
  }
  return parsed->get("MSA-1").value();
}

}  // namespace

Pacer::Clock::time_point SteadyWallClock::now() { return Pacer::Clock::now(); }

void SteadyWallClock::sleep_until(Pacer::Clock::time_point when) {
  std::this_thread::sleep_until(when);
}

std::string tally_line(const Tally& t) {
  std::string line = std::to_string(t.sent) + " sent, " + std::to_string(t.accepted) + " AA, " +
                     std::to_string(t.errors) + " AE, " + std::to_string(t.rejected) + " AR, " +
                     std::to_string(t.not_ack) + " errors";
  if (t.resent > 0) {
    line += ", " + std::to_string(t.resent) + " resent";
  }
  return line;
}

Runner::Runner(TrafficGenerator& traffic, Sink& sink, Pacer& pacer, WallClock& clock,
               std::ostream& out, RunSettings settings, UtcOffset offset)
    : traffic_(traffic),
      sink_(sink),
      pacer_(pacer),
      clock_(clock),
      out_(out),
      settings_(settings),
      offset_(offset) {}

bool Runner::stopping() const {
  return settings_.stop != nullptr && settings_.stop->load(std::memory_order_relaxed);
}

RunReport Runner::run() {
  next_progress_ = clock_.now() + settings_.progress_every;
  while (auto message = traffic_.next()) {
    // Wait in slices: a long wait (a compressed day at a slow speed) still sees a stop.
    for (auto due = pacer_.due(message->at); clock_.now() < due && !stopping();) {
      progress(false);
      clock_.sleep_until(std::min(due, clock_.now() + kSleepSlice));
    }
    if (stopping()) {
      report_.interrupted = true;
      break;
    }
    if (!deliver(*message)) {
      break;
    }
    last_at_ = message->at;
    progress(false);
  }
  report_.completed = !report_.interrupted && report_.failure.empty();
  progress(true);
  return report_;
}

// One message until it has a reply; false when the run must end.
bool Runner::deliver(const Outgoing& message) {
  const std::size_t d = index_of(message.destination);
  const auto first_try = clock_.now();
  auto wait = std::chrono::duration_cast<Pacer::Clock::duration>(kRetryFirst);
  for (bool again = false;; again = true) {
    SendOutcome outcome = sink_.send(message);
    pacer_.sent(clock_.now());
    if (outcome.kind == SendOutcome::Kind::acknowledged) {
      reached_[d] = true;
      report_.tallies[d].resent += again ? 1 : 0;
      count(message, outcome.ack);
      return true;
    }
    const std::string where = std::string(destination_name(message.destination)) + " " +
                              sink_.address(message.destination);
    const bool retry = reached_[d] && outcome.kind != SendOutcome::Kind::failed;
    if (!retry || clock_.now() - first_try >= settings_.reconnect_window || stopping()) {
      report_.failure = outcome.kind == SendOutcome::Kind::refused && !reached_[d]
                            ? where +
                                  ": connection refused: is `hisbridge serve` running and "
                                  "listening on that port?"
                            : where + ": " + outcome.detail;
      return false;
    }
    if (settings_.progress) {
      out_ << where << ": " << outcome.detail << "; trying again\n" << std::flush;
    }
    clock_.sleep_until(clock_.now() + wait);
    wait = std::min<Pacer::Clock::duration>(wait * 2, kRetryMax);
  }
}

void Runner::count(const Outgoing& message, const std::string& ack) {
  Tally& t = report_.tallies[index_of(message.destination)];
  ++t.sent;
  t.malformed += message.malformed ? 1 : 0;
  const std::string code = ack_code(ack);
  bool positive = false;
  if (code == "AA" || code == "CA") {
    ++t.accepted;
    positive = true;
  } else if (code == "AE" || code == "CE") {
    ++t.errors;
  } else if (code == "AR" || code == "CR") {
    ++t.rejected;
  } else {
    ++t.not_ack;
  }
  t.unexpected += positive == message.malformed ? 1 : 0;
}

void Runner::progress(bool force) {
  const auto now = clock_.now();
  if (!settings_.progress || (!force && now < next_progress_)) {
    return;
  }
  next_progress_ = now + settings_.progress_every;
  out_ << "[" << (last_at_ == 0 ? std::string("start") : iso_time(last_at_, offset_)) << "] "
       << "lis: " << tally_line(report_.tally(Destination::lis))
       << "; ris: " << tally_line(report_.tally(Destination::ris)) << "\n"
       << std::flush;
}

}  // namespace hisbridge::simulate
