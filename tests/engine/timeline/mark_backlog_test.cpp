// The backlog in front of a timeline that fails for a while: a real SQLite timeline behind a
// wrapper that can be told to fail its enqueue() calls.
#include "engine/timeline/mark_backlog.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/timeline/interval_definition.hpp"
#include "tests/support/forwarding_timeline.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge::timeline {
namespace {

namespace fs = std::filesystem;

class FailingTimeline final : public testing_support::ForwardingTimeline {
 public:
  using ForwardingTimeline::ForwardingTimeline;

  Result<void> enqueue(std::span<const Mark> marks) override {
    calls.push_back(marks.size());
    if (failing) {
      return store::StoreError::io;
    }
    return ForwardingTimeline::enqueue(marks);
  }

  bool failing = false;
  std::vector<std::size_t> calls;
};

Mark mark(const std::string& order, const std::string& kind, std::int64_t at_us) {
  Mark m;
  m.scope = Scope::order;
  m.subject = order;
  m.kind = kind;
  m.at_us = at_us;
  m.info.discipline = "LAB";
  m.info.priority = "S";
  return m;
}

class MarkBacklogTest : public testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_timeline((dir_ / "hisbridge.db").string(), default_intervals());
    ASSERT_TRUE(opened) << opened.error().message();
    timeline_ = std::make_unique<FailingTimeline>(std::move(*opened));
  }
  void TearDown() override {
    timeline_.reset();
  }
  // Drains the inbox: the marks it held.
  std::size_t drained() {
    auto d = timeline_->drain(1000, 100'000);
    EXPECT_TRUE(d) << d.error().message();
    return d ? d->marks : 0;
  }

  testing_support::TempDir temp_{"hisbridge-mark-backlog"};
  fs::path dir_ = temp_.path();
  std::unique_ptr<FailingTimeline> timeline_;
};

TEST_F(MarkBacklogTest, MarksFailedAreHandedAgainAheadOfTheNextOnes) {
  MarkBacklog backlog("test", "marks");
  const std::vector<Mark> first = {mark("XN-1", "ordered", 1), mark("XN-1", "final", 2)};
  const std::vector<Mark> second = {mark("XN-2", "ordered", 3)};
  timeline_->failing = true;
  EXPECT_FALSE(backlog.enqueue(*timeline_, first));
  EXPECT_EQ(backlog.held(), 2u);
  EXPECT_FALSE(backlog.enqueue(*timeline_, second));
  EXPECT_EQ(backlog.held(), 3u);
  EXPECT_FALSE(backlog.retry(*timeline_));
  timeline_->failing = false;
  EXPECT_TRUE(backlog.enqueue(*timeline_, {}));
  EXPECT_EQ(backlog.held(), 0u);
  EXPECT_EQ(timeline_->calls, (std::vector<std::size_t>{2, 3, 3, 3}));
  EXPECT_EQ(drained(), 3u);
  // Nothing held: a retry calls nothing, fresh marks go as they are.
  EXPECT_TRUE(backlog.retry(*timeline_));
  EXPECT_TRUE(backlog.enqueue(*timeline_, second));
  EXPECT_EQ(timeline_->calls.back(), 1u);
  EXPECT_EQ(timeline_->calls.size(), 5u);
  EXPECT_EQ(backlog.dropped(), 0u);
}

TEST_F(MarkBacklogTest, PastItsCapacityTheOldestHeldAreGivenUpAndCounted) {
  MarkBacklog backlog("test", "marks", 3);
  timeline_->failing = true;
  EXPECT_FALSE(backlog.enqueue(*timeline_, std::vector<Mark>{mark("A", "ordered", 1),
                                                            mark("B", "ordered", 2)}));
  EXPECT_FALSE(backlog.enqueue(*timeline_, std::vector<Mark>{mark("C", "ordered", 3),
                                                            mark("D", "ordered", 4)}));
  EXPECT_EQ(backlog.held(), 3u);
  EXPECT_EQ(backlog.dropped(), 1u);
  timeline_->failing = false;
  EXPECT_TRUE(backlog.retry(*timeline_));
  auto d = timeline_->drain(1000, 100);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->marks, 3u);
}

}  // namespace
}  // namespace hisbridge::timeline
