#include "engine/metrics/exposition.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace hisbridge::metrics {
namespace {

std::string label_value(std::string_view v) {
  std::string out;
  append_label_value(out, v);
  return out;
}

std::string value(double v) {
  std::string out;
  append_value(out, v);
  return out;
}

TEST(ExpositionTest, MetricNamesAreHisbridgeSnakeCase) {
  EXPECT_TRUE(valid_metric_name("hisbridge_messages_received_total"));
  EXPECT_TRUE(valid_metric_name("hisbridge_ack_latency_seconds"));
  EXPECT_FALSE(valid_metric_name("messages_received_total"));
  EXPECT_FALSE(valid_metric_name("hisbridge_"));
  EXPECT_FALSE(valid_metric_name("hisbridge_Messages"));
  EXPECT_FALSE(valid_metric_name("hisbridge_a:b"));
  EXPECT_FALSE(valid_metric_name("hisbridge_a-b"));
  EXPECT_FALSE(valid_metric_name("hisbridge_a b"));
}

TEST(ExpositionTest, LabelNamesFollowTheFormat) {
  EXPECT_TRUE(valid_label_name("source"));
  EXPECT_TRUE(valid_label_name("_x9"));
  EXPECT_TRUE(valid_label_name("Channel"));
  EXPECT_FALSE(valid_label_name(""));
  EXPECT_FALSE(valid_label_name("__name__"));
  EXPECT_FALSE(valid_label_name("9x"));
  EXPECT_FALSE(valid_label_name("a-b"));
}

TEST(ExpositionTest, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(label_value("plain"), "plain");
  EXPECT_EQ(label_value("a\\b"), "a\\\\b");
  EXPECT_EQ(label_value("say \"hi\""), "say \\\"hi\\\"");
  EXPECT_EQ(label_value("two\nlines"), "two\\nlines");
  // Tabs and carriage returns are allowed as they are.
  EXPECT_EQ(label_value("a\tb\rc"), "a\tb\rc");
}

TEST(ExpositionTest, LabelValuesKeepUtf8AndReplaceOtherBytes) {
  EXPECT_EQ(label_value("X\xC3\xA9t nghi\xE1\xBB\x87m"), "X\xC3\xA9t nghi\xE1\xBB\x87m");
  EXPECT_EQ(label_value("a\xFF"
                        "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(label_value("\xC3"), "\xEF\xBF\xBD");                                  // cut short
  EXPECT_EQ(label_value("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  EXPECT_EQ(label_value("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

TEST(ExpositionTest, HelpEscapesBackslashAndNewlineOnly) {
  std::string out;
  append_help(out, "a \"quoted\" \\ path\nnext");
  EXPECT_EQ(out, "a \"quoted\" \\\\ path\\nnext");
}

TEST(ExpositionTest, ValuesReadBackExactly) {
  EXPECT_EQ(value(0), "0");
  EXPECT_EQ(value(42), "42");
  EXPECT_EQ(value(0.005), "0.005");
  EXPECT_EQ(value(0.0005), "0.0005");
  EXPECT_EQ(value(1234567.25), "1234567.25");
  EXPECT_EQ(value(1e-9), "1e-09");
  EXPECT_EQ(value(-1.5), "-1.5");
  EXPECT_EQ(value(1e21), "1e+21");
  EXPECT_EQ(value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(value(std::nan("")), "NaN");
  EXPECT_EQ(std::stod(value(0.1 + 0.2)), 0.1 + 0.2);
}

TEST(ExpositionTest, SamplesWithAndWithoutLabels) {
  std::string out;
  append_sample(out, "hisbridge_x_total", {}, 3);
  append_sample(out, "hisbridge_x_total", {{"source", "lis"}, {"status", "ok"}}, 4);
  const std::pair<std::string_view, std::string_view> le{"le", "+Inf"};
  append_sample(out, "hisbridge_h_bucket", {{"source", "a\"b"}}, 5, &le);
  append_sample(out, "hisbridge_h_bucket", {}, 6, &le);
  EXPECT_EQ(out,
            "hisbridge_x_total 3\n"
            "hisbridge_x_total{source=\"lis\",status=\"ok\"} 4\n"
            "hisbridge_h_bucket{source=\"a\\\"b\",le=\"+Inf\"} 5\n"
            "hisbridge_h_bucket{le=\"+Inf\"} 6\n");
}

}  // namespace
}  // namespace hisbridge::metrics
