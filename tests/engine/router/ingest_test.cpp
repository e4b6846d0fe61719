// Ingest's counters per source and its ACK latency histogram, over a real GroupCommitter and
// SqliteStore in a temp folder.
#include "engine/router/ingest.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "engine/store/open_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge::router {
namespace {

namespace fs = std::filesystem;

class IngestTest : public testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_store((dir_ / "store.db").string());
    ASSERT_TRUE(s) << s.error().message();
    committer_ = std::make_unique<store::GroupCommitter>(std::move(*s));
    ingest_ = std::make_unique<Ingest>(*committer_, Ingest::CharsetOverrides{});
    ingest_->add_source("lis");
  }
  void TearDown() override {
    ingest_.reset();
    committer_.reset();
  }

  // Hands one message in and waits for its reply.
  Reply send(const std::string& source, std::string raw, std::int64_t received_at_us = 0) {
    std::promise<Reply> answered;
    auto reply = answered.get_future();
    if (received_at_us == 0) {
      received_at_us = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    }
    ingest_->on_message({std::move(raw), source, "127.0.0.1:1", received_at_us},
                        [&answered](Reply r) { answered.set_value(std::move(r)); });
    return reply.get();
  }

  static std::string oru(const std::string& control_id) {
    return "MSH|^~\\&|LIS|LAB|HIS|H|20260305081500||ORU^R01|" + control_id +
           "|P|2.5\rPID|1||P1^^^H^MR\r";
  }

  testing_support::TempDir temp_{"hisbridge-ingest"};
  const fs::path& dir_ = temp_.path();
  std::unique_ptr<store::GroupCommitter> committer_;
  std::unique_ptr<Ingest> ingest_;
};

TEST_F(IngestTest, CountsEachSourceApartAndInTotal) {
  EXPECT_TRUE(send("lis", oru("A1")).accepted);
  EXPECT_TRUE(send("lis", oru("A1")).accepted);  // a duplicate is accepted too
  EXPECT_FALSE(send("lis", "not a message").accepted);
  EXPECT_TRUE(send("ris", oru("R1")).accepted);  // not added: in the totals only

  const SourceIngestStats* lis = ingest_->source_stats("lis");
  ASSERT_NE(lis, nullptr);
  EXPECT_EQ(lis->counters.received.load(), 3u);
  EXPECT_EQ(lis->counters.accepted.load(), 2u);
  EXPECT_EQ(lis->counters.duplicates.load(), 1u);
  EXPECT_EQ(lis->counters.rejected.load(), 1u);
  EXPECT_EQ(lis->counters.store_failures.load(), 0u);
  EXPECT_EQ(ingest_->source_stats("ris"), nullptr);
  EXPECT_EQ(ingest_->counters().received.load(), 4u);
  EXPECT_EQ(ingest_->counters().accepted.load(), 3u);
  EXPECT_EQ(ingest_->counters().rejected.load(), 1u);
}

TEST_F(IngestTest, AReusedControlIdWithOtherContentIsANewMessageAndCounted) {
  std::vector<std::int64_t> processed;
  ingest_ = std::make_unique<Ingest>(
      *committer_, Ingest::CharsetOverrides{},
      [&processed](const std::string&, std::int64_t id) { processed.push_back(id); });
  ingest_->add_source("lis");
  const Reply first = send("lis", oru("A1"));
  const Reply other = send("lis", oru("A1") + "OBX|1|NM|GLU||7.9\r");  // the counter restarted
  const Reply resent = send("lis", oru("A1") + "OBX|1|NM|GLU||7.9\r");
  EXPECT_TRUE(first.accepted && other.accepted && resent.accepted);
  const SourceIngestStats* lis = ingest_->source_stats("lis");
  ASSERT_NE(lis, nullptr);
  EXPECT_EQ(lis->counters.reused_control_ids.load(), 1u);
  EXPECT_EQ(lis->counters.duplicates.load(), 1u);
  // Processing is told of the first two, not of the resend.
  EXPECT_EQ(processed, (std::vector<std::int64_t>{first.message_id, other.message_id}));
}

TEST_F(IngestTest, EveryAnswerIsObservedInTheAckLatency) {
  send("lis", oru("A1"));
  send("lis", "not a message");
  // Received ten seconds ago (a message that sat in an adapter): lands above 5 s.
  const auto ten_seconds_ago = std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count() -
                               10'000'000;
  send("lis", oru("A2"), ten_seconds_ago);
  const metrics::HistogramSnapshot h = ingest_->source_stats("lis")->ack_latency.snapshot();
  EXPECT_EQ(h.count, 3u);
  EXPECT_GE(h.sum, 10.0);
  ASSERT_GE(h.bounds.size(), 2u);
  EXPECT_EQ(h.bounds.back(), 10);
  // Two fast answers below the last bound; the old one in +Inf or the 10 s bucket.
  EXPECT_EQ(h.cumulative[h.bounds.size() - 2], 2u);
}

TEST_F(IngestTest, AStoreFailureIsCountedAndObserved) {
  committer_->stop();  // from here every submit fails at once
  const Reply r = send("lis", oru("A1"));
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.message_id, 0);
  const SourceIngestStats* lis = ingest_->source_stats("lis");
  EXPECT_EQ(lis->counters.store_failures.load(), 1u);
  EXPECT_EQ(lis->ack_latency.snapshot().count, 1u);
}

TEST_F(IngestTest, PausedIsPerSourceAndCountsEachPause) {
  ingest_->add_source("ris");
  EXPECT_FALSE(ingest_->paused("lis"));
  ingest_->set_paused("lis", true, "queue ch/his over 10 entries");
  EXPECT_TRUE(ingest_->paused("lis"));
  EXPECT_FALSE(ingest_->paused("ris"));
  const SourceIngestStats* lis = ingest_->source_stats("lis");
  EXPECT_TRUE(lis->paused.load());
  EXPECT_EQ(lis->pauses.load(), 1u);

  ingest_->set_paused("lis", true);  // already paused: not a second pause
  EXPECT_EQ(lis->pauses.load(), 1u);
  ingest_->set_paused("lis", false);
  EXPECT_FALSE(ingest_->paused("lis"));
  EXPECT_FALSE(lis->paused.load());
  ingest_->set_paused("lis", true);
  EXPECT_EQ(lis->pauses.load(), 2u);
  EXPECT_EQ(ingest_->source_stats("ris")->pauses.load(), 0u);
}

TEST_F(IngestTest, ASourceNotAddedIsNeverPaused) {
  ingest_->set_paused("elsewhere", true);
  EXPECT_FALSE(ingest_->paused("elsewhere"));
  EXPECT_FALSE(ingest_->paused(""));
}

TEST_F(IngestTest, APausedSourceStillStoresWhatItIsHanded) {
  // Holding messages back is the adapter's part; a message already handed over is stored and
  // answered as usual.
  ingest_->set_paused("lis", true);
  const Reply r = send("lis", oru("P1"));
  EXPECT_TRUE(r.accepted);
  EXPECT_GT(r.message_id, 0);
}

}  // namespace
}  // namespace hisbridge::router
