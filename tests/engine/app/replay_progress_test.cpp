#include "engine/app/replay_progress.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace hisbridge::app {
namespace {

TEST(ReplayProgressTest, APipeGetsOnePlainLinePerUpdate) {
  std::ostringstream err;
  ReplayProgress p(err, false, "messages");
  p.update(500, 2000);
  p.update(2000, 2000);
  p.finish();
  EXPECT_EQ(err.str(), "replayed 500/2000 messages\nreplayed 2000/2000 messages\n");
}

TEST(ReplayProgressTest, ATerminalGetsABarRedrawnInPlaceAndOneLineEnd) {
  std::ostringstream err;
  ReplayProgress p(err, true, "dead letters");
  p.update(1, 4);
  p.update(4, 4);
  p.finish();
  p.finish();
  const std::string bar_quarter = std::string(7, '#') + std::string(23, '.');
  EXPECT_EQ(err.str(), "\r[" + bar_quarter + "] 1/4 dead letters (25%)" + "\r[" +
                           std::string(30, '#') + "] 4/4 dead letters (100%)\n");
}

TEST(ReplayProgressTest, ARangeThatGrewPastItsCountIsShownFull) {
  std::ostringstream err;
  ReplayProgress p(err, true, "messages");
  p.update(12, 10);
  EXPECT_EQ(err.str(), "\r[" + std::string(30, '#') + "] 12/12 messages (100%)");
  std::ostringstream none;
  ReplayProgress q(none, true, "messages");
  q.finish();
  EXPECT_EQ(none.str(), "") << "no bar drawn, no line ended";
}

}  // namespace
}  // namespace hisbridge::app
