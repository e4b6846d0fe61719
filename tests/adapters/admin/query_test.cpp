#include "adapters/admin/query.hpp"

#include <gtest/gtest.h>

namespace hisbridge::admin {
namespace {

TEST(QueryTest, DecodesNamesAndValuesInOrder) {
  const auto q = parse_query("/api/v1/messages?type=ORU%5ER01&from=2026-03-05T08:15:00%2B07:00&x");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->size(), 3u);
  EXPECT_EQ((*q)[0], (std::pair<std::string, std::string>{"type", "ORU^R01"}));
  EXPECT_EQ((*q)[1].second, "2026-03-05T08:15:00+07:00");
  EXPECT_EQ((*q)[2], (std::pair<std::string, std::string>{"x", ""}));
}

TEST(QueryTest, APlusStaysAPlus) {
  const auto q = parse_query("/m?from=2026-03-05T08:15:00+07:00");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->front().second, "2026-03-05T08:15:00+07:00");
}

TEST(QueryTest, NoQueryAndEmptyParts) {
  EXPECT_TRUE(parse_query("/metrics")->empty());
  EXPECT_TRUE(parse_query("/metrics?")->empty());
  EXPECT_EQ(parse_query("/m?a=1&&b=2&")->size(), 2u);
  EXPECT_EQ(parse_query("/m?a=1#frag")->front().second, "1");
}

TEST(QueryTest, MalformedEscapesAreRefused) {
  EXPECT_FALSE(parse_query("/m?a=%"));
  EXPECT_FALSE(parse_query("/m?a=%4"));
  EXPECT_FALSE(parse_query("/m?a=%zz"));
  EXPECT_FALSE(parse_query("/m?%g1=1"));
  EXPECT_EQ(percent_decode("Nguy%E1%BB%85n"), "Nguy\xE1\xBB\x85n");
}

}  // namespace
}  // namespace hisbridge::admin
