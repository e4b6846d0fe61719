#include "engine/config/source_map.hpp"

#include <gtest/gtest.h>

namespace hisbridge::config {
namespace {

TEST(SourceMapTest, PlacesValuesAndKeysByPointer) {
  const std::string text =
      "// comment with { and \"quotes\"\n"
      "{\n"
      "  \"store\": { \"location\": \"var/x.db\" }, /* block\n comment */\n"
      "  \"listeners\": [\n"
      "    { \"name\": \"lis\", \"port\": 2575 },\n"
      "    { \"na/me\": \"x\" }\n"
      "  ]\n"
      "}\n";
  const SourceMap map = SourceMap::build(text);
  EXPECT_EQ(map.value("").line, 2u);
  EXPECT_EQ(map.key("/store").line, 3u);
  EXPECT_EQ(map.key("/store").column, 3u);
  EXPECT_EQ(map.value("/store/location").line, 3u);
  EXPECT_EQ(map.value("/store/location").column, 26u);
  EXPECT_EQ(map.value("/listeners/0/port").line, 6u);
  EXPECT_EQ(map.value("/listeners/0/port").column, 30u);
  EXPECT_EQ(map.key("/listeners/1/na~1me").line, 7u);
  // Unknown pointers fall back to the nearest known parent.
  EXPECT_EQ(map.value("/listeners/0/missing").line, 6u);
}

TEST(SourceMapTest, SurvivesMalformedText) {
  for (std::string_view text : {"", "{", "{\"a\":", "[1,2", "{\"a\" 1}", "\"open", "/* open",
                                "[1,}", "{\"a\": /}", "[\":\"x\"}]"}) {
    const SourceMap map = SourceMap::build(text);
    EXPECT_GE(map.value("/a").line, 1u);
  }
  const std::string deep(10000, '[');
  EXPECT_GE(SourceMap::build(deep).value("/0/0").line, 1u);
}

TEST(SourceMapTest, PositionAtCountsLinesAndColumns) {
  EXPECT_EQ(position_at("ab\ncd", 4).line, 2u);
  EXPECT_EQ(position_at("ab\ncd", 4).column, 2u);
  EXPECT_EQ(position_at("ab", 99).column, 3u);
}

}  // namespace
}  // namespace hisbridge::config
