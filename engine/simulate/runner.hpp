#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <string>

#include "engine/simulate/outgoing.hpp"
#include "engine/simulate/pacer.hpp"
#include "engine/simulate/traffic_generator.hpp"

namespace hisbridge::simulate {

// How one message's exchange ended, as a Sink reports it.
struct SendOutcome {
  enum class Kind {
    acknowledged,  // `ack` holds the reply
    refused,       // nothing listens there (connection refused)
    lost,          // connected, but no reply: timeout, reset, closed before the ACK
    failed,        // anything else (name resolution, a frame too large...)
  };
  Kind kind = Kind::acknowledged;
  std::string ack;     // the reply's text when acknowledged
  std::string detail;  // what went wrong otherwise
};

// Where a run's messages go: MLLP connections in the command, a fake in tests. Runs on the
// runner's thread; one call at a time.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual SendOutcome send(const Outgoing& message) = 0;
  // "127.0.0.1:2575", for messages.
  virtual std::string address(Destination destination) const = 0;
};

// The wall clock the runner waits on; tests give one that only moves when asked to sleep.
class WallClock {
 public:
  virtual ~WallClock() = default;
  virtual Pacer::Clock::time_point now() = 0;
  virtual void sleep_until(Pacer::Clock::time_point when) = 0;
};

class SteadyWallClock final : public WallClock {
 public:
  Pacer::Clock::time_point now() override;
  void sleep_until(Pacer::Clock::time_point when) override;
};

// What came back from one destination. `unexpected` counts positive ACKs to malformed
// messages and negative ones to the others: either is the engine getting it wrong.
struct Tally {
  std::size_t sent = 0;
  std::size_t accepted = 0;  // AA, CA
  std::size_t errors = 0;    // AE, CE
  std::size_t rejected = 0;  // AR, CR
  std::size_t not_ack = 0;   // a reply without a known MSA-1
  std::size_t resent = 0;    // sent again after the connection was lost
  std::size_t malformed = 0;
  std::size_t unexpected = 0;
};

struct RunSettings {
  bool progress = true;  // progress lines on the output stream
  std::chrono::seconds progress_every{5};
  // How long a destination that answered before may stay unreachable (an engine restarting)
  // before the run gives up.
  std::chrono::seconds reconnect_window{60};
  const std::atomic<bool>* stop = nullptr;  // set from a signal handler to end the run early
};

struct RunReport {
  std::array<Tally, 2> tallies{};  // indexed by Destination
  bool completed = false;          // every message went out
  bool interrupted = false;        // stopped by `stop`
  std::string failure;             // why the run gave up, when it did

  const Tally& tally(Destination d) const { return tallies[static_cast<std::size_t>(d)]; }
};

// Sends a run's messages in order, each when the pacer says, waits for each ACK and counts
// it. A destination that refuses the very first connection ends the run at once (nothing is
// listening: the engine is not started, or the port is wrong); one that answered before and
// then stops is tried again every few seconds for `reconnect_window`, resending the message
// that had no reply. A resent message the engine had already stored is acknowledged as a
// duplicate and not processed twice.
class Runner {
 public:
  Runner(TrafficGenerator& traffic, Sink& sink, Pacer& pacer, WallClock& clock, std::ostream& out,
         RunSettings settings, UtcOffset offset);

  RunReport run();

 private:
  bool deliver(const Outgoing& message);
  void count(const Outgoing& message, const std::string& ack);
  void progress(bool force);
  bool stopping() const;

  TrafficGenerator& traffic_;
  Sink& sink_;
  Pacer& pacer_;
  WallClock& clock_;
  std::ostream& out_;
  RunSettings settings_;
  UtcOffset offset_;
  RunReport report_;
  std::array<bool, 2> reached_{};
  SimTime last_at_ = 0;
  Pacer::Clock::time_point next_progress_{};
};

// "lis: 812 sent, 806 AA, 0 AE, 6 AR, 0 errors"
std::string tally_line(const Tally& tally);

}  // namespace hisbridge::simulate
