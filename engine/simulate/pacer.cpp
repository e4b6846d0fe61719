#include "engine/simulate/pacer.hpp"

#include <algorithm>

namespace hisbridge::simulate {
namespace {

Pacer::Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Pacer::Clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace

Pacer::Pacer(SimTime live_point, Clock::time_point wall_start, double speed, double rate)
    : live_point_(live_point),
      wall_start_(wall_start),
      speed_(speed),
      min_gap_(rate > 0 ? seconds(1.0 / rate) : Clock::duration::zero()) {}

Pacer::Clock::time_point Pacer::due(SimTime message_at) const {
  Clock::time_point at = wall_start_;
  if (speed_ > 0 && message_at > live_point_) {
    at += seconds(static_cast<double>(message_at - live_point_) / speed_);
  }
  if (last_sent_) {
    at = std::max(at, *last_sent_ + min_gap_);
  }
  return at;
}

void Pacer::sent(Clock::time_point when) { last_sent_ = when; }

SimTime Pacer::simulated_now(Clock::time_point now) const {
  if (speed_ <= 0) {
    return live_point_;
  }
  const double wall = std::chrono::duration<double>(now - wall_start_).count();
  return live_point_ + static_cast<SimTime>(std::max(0.0, wall) * speed_);
}

}  // namespace hisbridge::simulate
