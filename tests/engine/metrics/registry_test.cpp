#include "engine/metrics/registry.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

namespace hisbridge::metrics {
namespace {

TEST(RegistryTest, WritesOwnedSeriesWithHelpAndType) {
  Registry r;
  r.counter("hisbridge_messages_received_total", "Messages received.", {{"source", "lis"}}).inc(3);
  r.counter("hisbridge_messages_received_total", "Messages received.", {{"source", "ris"}}).inc();
  r.gauge("hisbridge_queue_depth", "Waiting.\nSecond line \\ here").set(2.5);
  EXPECT_EQ(r.expose(),
            "# HELP hisbridge_messages_received_total Messages received.\n"
            "# TYPE hisbridge_messages_received_total counter\n"
            "hisbridge_messages_received_total{source=\"lis\"} 3\n"
            "hisbridge_messages_received_total{source=\"ris\"} 1\n"
            "# HELP hisbridge_queue_depth Waiting.\\nSecond line \\\\ here\n"
            "# TYPE hisbridge_queue_depth gauge\n"
            "hisbridge_queue_depth 2.5\n");
}

TEST(RegistryTest, SameLabelsGiveTheSameSeries) {
  Registry r;
  Counter& a = r.counter("hisbridge_a_total", "A.", {{"x", "1"}});
  Counter& b = r.counter("hisbridge_a_total", "A.", {{"x", "1"}});
  Counter& c = r.counter("hisbridge_a_total", "A.", {{"x", "2"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
}

TEST(RegistryTest, HistogramWritesCumulativeBucketsSumAndCount) {
  Registry r;
  Histogram& h = r.histogram("hisbridge_ack_latency_seconds", "ACK latency.", {0.01, 0.1},
                             {{"source", "lis"}});
  h.observe(0.005);
  h.observe(0.05);
  h.observe(0.5);
  EXPECT_EQ(r.expose(),
            "# HELP hisbridge_ack_latency_seconds ACK latency.\n"
            "# TYPE hisbridge_ack_latency_seconds histogram\n"
            "hisbridge_ack_latency_seconds_bucket{source=\"lis\",le=\"0.01\"} 1\n"
            "hisbridge_ack_latency_seconds_bucket{source=\"lis\",le=\"0.1\"} 2\n"
            "hisbridge_ack_latency_seconds_bucket{source=\"lis\",le=\"+Inf\"} 3\n"
            "hisbridge_ack_latency_seconds_sum{source=\"lis\"} 0.555\n"
            "hisbridge_ack_latency_seconds_count{source=\"lis\"} 3\n");
  EXPECT_THROW(
      r.histogram("hisbridge_ack_latency_seconds", "ACK latency.", {0.01}, {{"source", "ris"}}),
      std::invalid_argument);
}

TEST(RegistryTest, CollectorsAreReadAtEveryScrape) {
  Registry r;
  std::atomic<std::uint64_t> processed{7};
  r.add_collector("hisbridge_processed_total", "Processed.", MetricType::counter,
                  [&](std::vector<Sample>& out) {
                    out.push_back({{{"channel", "lis-in"}}, static_cast<double>(processed.load())});
                  });
  r.add_collector("hisbridge_processed_total", "Processed.", MetricType::counter,
                  [](std::vector<Sample>& out) {
                    out.push_back({{{"channel", "ris-in"}}, 1});
                  });
  EXPECT_NE(r.expose().find("hisbridge_processed_total{channel=\"lis-in\"} 7\n"
                            "hisbridge_processed_total{channel=\"ris-in\"} 1\n"),
            std::string::npos);
  processed = 9;
  EXPECT_NE(r.expose().find("hisbridge_processed_total{channel=\"lis-in\"} 9\n"),
            std::string::npos);
}

TEST(RegistryTest, HistogramCollectorsWriteSnapshots) {
  Registry r;
  Histogram h({1});
  h.observe(2);
  r.add_histogram_collector("hisbridge_wait_seconds", "Wait.", [&](auto& out) {
    out.push_back({{{"source", "lis"}}, h.snapshot()});
  });
  EXPECT_NE(r.expose().find("hisbridge_wait_seconds_bucket{source=\"lis\",le=\"1\"} 0\n"
                            "hisbridge_wait_seconds_bucket{source=\"lis\",le=\"+Inf\"} 1\n"
                            "hisbridge_wait_seconds_sum{source=\"lis\"} 2\n"
                            "hisbridge_wait_seconds_count{source=\"lis\"} 1\n"),
            std::string::npos);
}

TEST(RegistryTest, FamiliesWithoutSamplesAreLeftOut) {
  Registry r;
  r.add_collector("hisbridge_nothing_total", "Nothing.", MetricType::counter, [](auto&) {});
  EXPECT_EQ(r.expose(), "");
}

TEST(RegistryTest, CollectedSamplesWithBadLabelNamesAreLeftOut) {
  Registry r;
  r.add_collector("hisbridge_g", "G.", MetricType::gauge, [](std::vector<Sample>& out) {
    out.push_back({{{"bad-name", "x"}}, 1});
    out.push_back({{{"good", "x"}}, 2});
  });
  EXPECT_EQ(r.expose(),
            "# HELP hisbridge_g G.\n# TYPE hisbridge_g gauge\nhisbridge_g{good=\"x\"} 2\n");
}

TEST(RegistryTest, FamiliesComeInNameOrder) {
  Registry r;
  r.gauge("hisbridge_b", "B.").set(1);
  r.gauge("hisbridge_a", "A.").set(1);
  const std::string text = r.expose();
  EXPECT_LT(text.find("hisbridge_a"), text.find("hisbridge_b"));
}

TEST(RegistryTest, RefusesBadRegistrations) {
  Registry r;
  EXPECT_THROW(r.counter("messages_total", "x"), std::invalid_argument);
  EXPECT_THROW(r.counter("hisbridge_Messages_total", "x"), std::invalid_argument);
  EXPECT_THROW(r.counter("hisbridge_messages", "x"), std::invalid_argument);
  EXPECT_THROW(r.gauge("hisbridge_depth_total", "x"), std::invalid_argument);
  EXPECT_THROW(r.counter("hisbridge_a_total", "x", {{"__name__", "v"}}), std::invalid_argument);
  EXPECT_THROW(r.histogram("hisbridge_h_seconds", "x", {1}, {{"le", "1"}}), std::invalid_argument);
  r.counter("hisbridge_a_total", "A.");
  EXPECT_THROW(r.counter("hisbridge_a_total", "Another help."), std::invalid_argument);
  EXPECT_THROW(r.add_collector("hisbridge_a_total", "A.", MetricType::counter, [](auto&) {}),
               std::invalid_argument);
  r.gauge("hisbridge_g", "G.");
  EXPECT_THROW(r.histogram("hisbridge_g", "G.", {1}), std::invalid_argument);
  r.histogram("hisbridge_h", "H.", {1});
  EXPECT_THROW(r.gauge("hisbridge_h_count", "x"), std::invalid_argument);
  EXPECT_THROW(r.gauge("hisbridge_h_bucket", "x"), std::invalid_argument);
  r.gauge("hisbridge_k_sum", "K.");
  EXPECT_THROW(r.histogram("hisbridge_k", "x", {1}), std::invalid_argument);
}

// Increments from several threads while another scrapes: nothing is lost, nothing tears.
TEST(RegistryTest, ConcurrentUpdatesAndScrapes) {
  Registry r;
  Counter& c = r.counter("hisbridge_c_total", "C.");
  Histogram& h = r.histogram("hisbridge_h_seconds", "H.", {1});
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    while (!done.load()) {
      const std::string text = r.expose();
      ASSERT_NE(text.find("# TYPE hisbridge_c_total counter"), std::string::npos);
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        h.observe(0.5);
      }
    });
  }
  for (auto& w : writers) {
    w.join();
  }
  done = true;
  scraper.join();
  const std::string text = r.expose();
  EXPECT_NE(text.find("hisbridge_c_total 30000\n"), std::string::npos);
  EXPECT_NE(text.find("hisbridge_h_seconds_count 30000\n"), std::string::npos);
}

}  // namespace
}  // namespace hisbridge::metrics
