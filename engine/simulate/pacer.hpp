#pragma once

#include <chrono>
#include <optional>

#include "engine/simulate/sim_time.hpp"

namespace hisbridge::simulate {

// When each message of a simulated run is due on the wall clock. Messages simulated before
// the live point (the moment the run began, on the simulated clock) are the day so far: they
// go as fast as the rate allows. After it the simulated clock runs `speed` times as fast as
// the wall clock (60: a simulated minute a second); speed 0 sends everything at once. No
// message goes sooner than 1/rate seconds after the previous one (rate 0: no limit).
//
// Pure arithmetic on the times it is given, so it is tested without sleeping.
class Pacer {
 public:
  using Clock = std::chrono::steady_clock;

  Pacer(SimTime live_point, Clock::time_point wall_start, double speed, double rate);

  Clock::time_point due(SimTime message_at) const;
  // Tells the pacer a message went out at `when`.
  void sent(Clock::time_point when);

  // The simulated time shown at wall time `now`: the live point moved on at `speed`.
  SimTime simulated_now(Clock::time_point now) const;

 private:
  SimTime live_point_;
  Clock::time_point wall_start_;
  double speed_;
  Clock::duration min_gap_;
  std::optional<Clock::time_point> last_sent_;
};

}  // namespace hisbridge::simulate
