#include "engine/replay/selection.hpp"

#include <gtest/gtest.h>

namespace hisbridge::replay {
namespace {

config::Config two_channels() {
  config::Config c;
  config::ChannelConfig lab;
  lab.name = "lab";
  lab.source = "lis";
  lab.destinations.push_back({});
  lab.destinations.back().name = "his";
  config::ChannelConfig rad;
  rad.name = "rad";
  rad.source = "ris";
  c.channels = {lab, rad};
  return c;
}

TEST(SelectionTest, AChannelNamesItsSource) {
  const auto c = two_channels();
  EXPECT_EQ(*channel_source(c, "rad"), "ris");
  const auto unknown = channel_source(c, "radiology");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error(), "no channel 'radiology' in the config (channels: lab, rad)");
}

TEST(SelectionTest, AQueueIsAConfiguredChannelAndDestination) {
  const auto c = two_channels();
  EXPECT_EQ(*destination_queue(c, "lab/his"), "lab/his");
  const auto unknown = destination_queue(c, "rad/his");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error(), "no destination 'rad/his' in the config (queues: lab/his)");
  const auto bare = destination_queue(c, "lab");
  ASSERT_FALSE(bare);
  EXPECT_NE(bare.error().find("CHANNEL/DESTINATION"), std::string::npos);
  EXPECT_NE(destination_queue(config::Config{}, "a/b").error().find("(queues: none)"),
            std::string::npos);
}

}  // namespace
}  // namespace hisbridge::replay
