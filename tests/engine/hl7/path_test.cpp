#include "engine/hl7/path.hpp"

#include <gtest/gtest.h>

namespace hisbridge::hl7 {
namespace {

TEST(PathTest, ParsesEveryLevel) {
  auto p = Path::parse("OBX[3]-5[2].1.4");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->segment, "OBX");
  EXPECT_EQ(p->segment_occurrence, 3u);
  EXPECT_EQ(p->field, 5u);
  EXPECT_EQ(p->repetition, 2u);
  EXPECT_EQ(p->component, 1u);
  EXPECT_EQ(p->subcomponent, 4u);
  EXPECT_EQ(p->to_string(), "OBX[3]-5[2].1.4");
}

TEST(PathTest, LeavesUnnamedLevelsOpen) {
  auto p = Path::parse("PID-5");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->segment_occurrence, 1u);
  EXPECT_EQ(p->repetition, 0u);
  EXPECT_EQ(p->component, 0u);
  EXPECT_EQ(Path::parse("OBR-32.1.2")->to_string(), "OBR-32.1.2");
  EXPECT_EQ(Path::parse("ZX1")->field, 0u);
}

TEST(PathTest, RejectsMalformedPathsWithPosition) {
  for (std::string_view bad : {"", "PI", "pid-5", "PID-", "PID-0", "PID-5.", "PID-5.0", "PID[0]-1",
                               "PID[2-1", "PID-5.1.2.3", "PID-5x", "PID 5"}) {
    auto p = Path::parse(bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().code, Error::bad_path);
    EXPECT_NE(p.error().message().find(std::string(bad)), std::string::npos);
  }
}

}  // namespace
}  // namespace hisbridge::hl7
