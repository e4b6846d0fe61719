#include "engine/app/replay_progress.hpp"

#include <algorithm>
#include <ostream>

namespace hisbridge::app {

ReplayProgress::ReplayProgress(std::ostream& err, bool terminal, std::string unit)
    : err_(err), terminal_(terminal), unit_(std::move(unit)) {}

void ReplayProgress::update(std::size_t done, std::size_t total) {
  total = std::max(total, done);
  if (!terminal_) {
    err_ << "replayed " << done << "/" << total << " " << unit_ << "\n" << std::flush;
    return;
  }
  const std::size_t filled = total == 0 ? kBarWidth : done * kBarWidth / total;
  const std::size_t percent = total == 0 ? 100 : done * 100 / total;
  err_ << "\r[" << std::string(filled, '#') << std::string(kBarWidth - filled, '.') << "] " << done
       << "/" << total << " " << unit_ << " (" << percent << "%)" << std::flush;
  drawn_ = true;
}

void ReplayProgress::finish() {
  if (drawn_) {
    err_ << "\n" << std::flush;
    drawn_ = false;
  }
}

}  // namespace hisbridge::app
