#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>

namespace hisbridge::app {

// How far `hisbridge replay` is, on standard error. On a terminal a bar that redraws itself in
// place (`\r`, no new line until finish()); otherwise, for a log or a pipe, one plain line per
// update ("replayed 500/2000 messages"), so nothing but text lands in a file.
class ReplayProgress {
 public:
  // `unit`: what is counted ("messages", "dead letters").
  ReplayProgress(std::ostream& err, bool terminal, std::string unit);

  void update(std::size_t done, std::size_t total);
  // Ends a bar's line; nothing for plain lines. Idempotent.
  void finish();

  static constexpr std::size_t kBarWidth = 30;

 private:
  std::ostream& err_;
  const bool terminal_;
  const std::string unit_;
  bool drawn_ = false;  // a bar is on the line
};

}  // namespace hisbridge::app
