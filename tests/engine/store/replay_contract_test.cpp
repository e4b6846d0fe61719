// Replay (Store::reprocess, reprocess_range, count_reprocessable, requeue_dead) and the audit
// log, run against every implementation: SqliteStore on a temporary file always, PostgresStore
// when HISBRIDGE_TEST_PG names a server.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/store/open_store.hpp"
#include "tests/engine/store/store_test_env.hpp"

namespace hisbridge::store {
namespace {

using testing::Backend;
using testing::test_message;

constexpr std::int64_t kT0 = 1772673300LL * 1000 * 1000;  // 2026-03-05 01:15:00 UTC
constexpr std::int64_t kSecond = 1000 * 1000;
const std::string kQueue = "lis-inbound/his";

class ReplayContractTest : public testing::StoreContractTest {
 protected:
  // A message of `source` received at kT0 + `second` s, stored with `status` (processed and
  // error through set_statuses, with one entry per queue given).
  std::int64_t message(MessageStatus status, std::int64_t second = 0,
                       const std::string& source = "lis", std::vector<std::string> queues = {}) {
    NewMessage m = test_message("C" + std::to_string(next_++), kT0 + second * kSecond, source);
    if (status == MessageStatus::rejected) {
      m.status = status;
      m.error = "no MSH";
    }
    auto appended = store_->append(std::vector<NewMessage>{m}, 0);
    EXPECT_TRUE(appended) << appended.error().message();
    const std::int64_t id = appended->front().id;
    if (status == MessageStatus::processed || status == MessageStatus::error) {
      StatusUpdate update{id, status, status == MessageStatus::error ? "mapping failed" : "", {}};
      for (auto& q : queues) {
        update.deliveries.push_back({std::move(q), "patient:P1"});
      }
      EXPECT_TRUE(store_->set_statuses({&update, 1}));
    }
    return id;
  }

  MessageStatus status_of(std::int64_t id) { return store_->get(id)->message.status; }

  std::vector<QueuedDelivery> entries(std::int64_t id) {
    auto got = store_->deliveries_of(id);
    EXPECT_TRUE(got) << got.error().message();
    return got ? *got : std::vector<QueuedDelivery>{};
  }

  // Walks reprocess_range() over `range` in steps of `limit`; the ids each step set back.
  std::vector<std::size_t> walk_range(ReprocessRange range, std::size_t limit) {
    std::vector<std::size_t> steps;
    std::int64_t after = 0;
    for (int guard = 0; guard < 100; ++guard) {
      auto step = store_->reprocess_range(range, after, limit);
      EXPECT_TRUE(step) << step.error().message();
      if (!step || step->last_id == 0) {
        return steps;
      }
      steps.push_back(step->changed);
      range.from_us = step->last_at_us;
      after = step->last_id;
    }
    ADD_FAILURE() << "reprocess_range() never came to an end";
    return steps;
  }

  int next_ = 0;
};

TEST_P(ReplayContractTest, ReprocessSetsProcessedAndErrorBackToReceivedAndMovesTheCounts) {
  const std::int64_t done = message(MessageStatus::processed);
  const std::int64_t failed = message(MessageStatus::error);
  const std::int64_t rejected = message(MessageStatus::rejected);
  const std::int64_t waiting = message(MessageStatus::received);
  const std::vector<std::int64_t> ids{done, failed, rejected, waiting, failed, 999999};
  auto changed = store_->reprocess(ids);
  ASSERT_TRUE(changed) << changed.error().message();
  EXPECT_EQ(*changed, 2u);
  EXPECT_EQ(status_of(done), MessageStatus::received);
  EXPECT_EQ(status_of(failed), MessageStatus::received);
  EXPECT_EQ(store_->get(failed)->message.error, "");
  EXPECT_EQ(status_of(rejected), MessageStatus::rejected);
  EXPECT_EQ(store_->get(rejected)->message.error, "no MSH");
  auto stats = store_->stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->received, 3);
  EXPECT_EQ(stats->processed, 0);
  EXPECT_EQ(stats->error, 0);
  EXPECT_EQ(stats->rejected, 1);
  EXPECT_EQ(stats->messages, 4);
  // Processing finds them again, in id order, from the start of the source.
  auto pending = store_->pending("lis", 0, 10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 3u);
  EXPECT_EQ((*pending)[0].id, done);
  EXPECT_EQ((*pending)[1].id, failed);
  EXPECT_EQ(*store_->reprocess(ids), 0u) << "a second call finds nothing to do";
  EXPECT_EQ(*store_->reprocess(std::vector<std::int64_t>{}), 0u);
}

TEST_P(ReplayContractTest, ADuplicateIsNeverSentBack) {
  NewMessage first = test_message("SAME", kT0);
  NewMessage again = test_message("SAME", kT0 + kSecond);
  auto appended = store_->append(std::vector<NewMessage>{first, again}, 3600 * kSecond);
  ASSERT_TRUE(appended);
  ASSERT_TRUE((*appended)[1].duplicate);
  EXPECT_EQ(*store_->reprocess(std::vector<std::int64_t>{(*appended)[1].id}), 0u);
  EXPECT_EQ(status_of((*appended)[1].id), MessageStatus::duplicate);
}

TEST_P(ReplayContractTest, AReprocessedMessageIsQueuedAgainExceptWhereAnEntryStillWaits) {
  const std::int64_t id = message(MessageStatus::processed, 0, "lis", {kQueue, "lis-inbound/copy"});
  auto first = entries(id);
  ASSERT_EQ(first.size(), 2u);
  // The copy was delivered; the HIS entry still waits.
  ASSERT_TRUE(store_->update_deliveries(
      std::vector<DeliveryUpdate>{{first[1].id, DeliveryState::delivered, 0, 0, ""}}));
  ASSERT_EQ(*store_->reprocess(std::vector<std::int64_t>{id}), 1u);
  StatusUpdate again{id,
                     MessageStatus::processed,
                     {},
                     {{kQueue, "patient:P1"}, {"lis-inbound/copy", "patient:P1"}}};
  ASSERT_TRUE(store_->set_statuses({&again, 1}));
  const auto after = entries(id);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[2].queue, "lis-inbound/copy");
  EXPECT_EQ(after[2].state, DeliveryState::pending);
  EXPECT_EQ(status_of(id), MessageStatus::processed);
}

TEST_P(ReplayContractTest, AReplayRangeTakesItsSourceAndTimesInStepsAndNothingTwice) {
  const std::int64_t before = message(MessageStatus::processed, 0);
  const std::int64_t a = message(MessageStatus::processed, 10);
  const std::int64_t b = message(MessageStatus::error, 10);  // same time as a
  const std::int64_t c = message(MessageStatus::processed, 10);
  const std::int64_t other_source = message(MessageStatus::processed, 12, "ris");
  const std::int64_t rejected = message(MessageStatus::rejected, 13);
  const std::int64_t waiting = message(MessageStatus::received, 14);
  const std::int64_t d = message(MessageStatus::processed, 15);
  const std::int64_t at_end = message(MessageStatus::processed, 20);
  const ReprocessRange range{"lis", kT0 + 10 * kSecond, kT0 + 20 * kSecond};
  auto counted = store_->count_reprocessable(range);
  ASSERT_TRUE(counted) << counted.error().message();
  EXPECT_EQ(*counted, 4u);
  // Steps of one: the three received at the same microsecond are each taken once.
  EXPECT_EQ(walk_range(range, 1), (std::vector<std::size_t>{1, 1, 1, 1}));
  for (const std::int64_t id : {a, b, c, d, waiting}) {
    EXPECT_EQ(status_of(id), MessageStatus::received) << id;
  }
  for (const std::int64_t id : {before, other_source, at_end}) {
    EXPECT_EQ(status_of(id), MessageStatus::processed) << id;
  }
  EXPECT_EQ(status_of(rejected), MessageStatus::rejected);
  EXPECT_EQ(store_->stats()->received, 5);
  EXPECT_EQ(*store_->count_reprocessable(range), 0u);
}

TEST_P(ReplayContractTest, AReplayRangeWalkDoesNotComeBackToAMessageProcessedMeanwhile) {
  const std::int64_t a = message(MessageStatus::processed, 1);
  const std::int64_t b = message(MessageStatus::processed, 2);
  ReprocessRange range{"lis", kT0, kT0 + 60 * kSecond};
  auto first = store_->reprocess_range(range, 0, 1);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->changed, 1u);
  EXPECT_EQ(first->last_id, a);
  EXPECT_EQ(first->last_at_us, kT0 + kSecond);
  // Processing takes `a` again before the next step.
  StatusUpdate done{a, MessageStatus::processed, {}, {}};
  ASSERT_TRUE(store_->set_statuses({&done, 1}));
  range.from_us = first->last_at_us;
  auto second = store_->reprocess_range(range, first->last_id, 10);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->changed, 1u);
  EXPECT_EQ(second->last_id, b);
  EXPECT_EQ(status_of(a), MessageStatus::processed);
  range.from_us = second->last_at_us;
  auto third = store_->reprocess_range(range, second->last_id, 10);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->changed, 0u);
  EXPECT_EQ(third->last_id, 0);
}

TEST_P(ReplayContractTest, DeadLettersBecomePendingDueAtOnceWithTheirErrorUntilTheNextAttempt) {
  const std::int64_t m1 = message(MessageStatus::processed, 0, "lis", {kQueue});
  const std::int64_t m2 = message(MessageStatus::processed, 1, "lis", {kQueue, "lis-inbound/copy"});
  const std::int64_t m3 = message(MessageStatus::processed, 2, "lis", {kQueue});
  const auto e1 = entries(m1)[0];
  const auto e2 = entries(m2);
  const auto e3 = entries(m3)[0];
  ASSERT_TRUE(store_->update_deliveries(
      std::vector<DeliveryUpdate>{{e1.id, DeliveryState::dead, 5, 0, "HIS refused: unit"},
                                  {e2[0].id, DeliveryState::dead, 5, 0, "HIS refused: code"},
                                  {e2[1].id, DeliveryState::dead, 2, 0, "copy refused"},
                                  {e3.id, DeliveryState::delivered, 1, 0, ""}}));
  // m1 was replayed meanwhile and is queued again: its dead entry stays dead.
  ASSERT_EQ(*store_->reprocess(std::vector<std::int64_t>{m1}), 1u);
  StatusUpdate again{m1, MessageStatus::processed, {}, {{kQueue, "patient:P1"}}};
  ASSERT_TRUE(store_->set_statuses({&again, 1}));

  std::size_t requeued = 0;
  std::int64_t after = 0;
  for (int guard = 0; guard < 10; ++guard) {
    auto step = store_->requeue_dead(kQueue, after, 1);
    ASSERT_TRUE(step) << step.error().message();
    if (step->last_id == 0) {
      break;
    }
    requeued += step->changed;
    after = step->last_id;
  }
  EXPECT_EQ(requeued, 1u);
  EXPECT_EQ(entries(m1)[0].state, DeliveryState::dead);
  const auto e2_after = entries(m2);
  EXPECT_EQ(e2_after[0].state, DeliveryState::pending);
  EXPECT_EQ(e2_after[0].attempts, 0);
  EXPECT_EQ(e2_after[0].next_attempt_us, 0);
  EXPECT_EQ(e2_after[0].last_error, "HIS refused: code");
  EXPECT_EQ(e2_after[1].state, DeliveryState::dead) << "another queue is left alone";
  EXPECT_EQ(entries(m3)[0].state, DeliveryState::delivered);
  auto due = store_->due_deliveries(kQueue, kT0, 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 2u);  // m1's new entry and m2's replayed one, in id order
  EXPECT_EQ((*due)[0].message_id, m2);
  EXPECT_EQ((*due)[1].message_id, m1);
  EXPECT_EQ(store_->requeue_dead(kQueue, 0, 100)->changed, 0u);
}

TEST_P(ReplayContractTest, AMessageWithTwoDeadEntriesInAQueueGetsOnePendingOne) {
  const std::int64_t id = message(MessageStatus::processed, 0, "lis", {kQueue});
  const auto first = entries(id)[0];
  ASSERT_TRUE(store_->update_deliveries(
      std::vector<DeliveryUpdate>{{first.id, DeliveryState::dead, 5, 0, "refused"}}));
  StatusUpdate again{id, MessageStatus::processed, {}, {{kQueue, "patient:P1"}}};
  ASSERT_TRUE(store_->set_statuses({&again, 1}));
  const auto second = entries(id)[1];
  ASSERT_TRUE(store_->update_deliveries(
      std::vector<DeliveryUpdate>{{second.id, DeliveryState::dead, 5, 0, "refused again"}}));
  auto step = store_->requeue_dead(kQueue, 0, 100);
  ASSERT_TRUE(step) << step.error().message();
  EXPECT_EQ(step->changed, 1u);
  EXPECT_EQ(step->last_id, second.id);
  const auto after = entries(id);
  EXPECT_EQ(after[0].state, DeliveryState::pending);
  EXPECT_EQ(after[1].state, DeliveryState::dead);
}

TEST_P(ReplayContractTest, TheAuditLogKeepsItsRowsNewestFirst) {
  auto empty = store_->audit(10);
  ASSERT_TRUE(empty) << empty.error().message();
  EXPECT_TRUE(empty->empty());
  ASSERT_TRUE(store_->append_audit({"alice", "reprocess-messages", R"({"messages":2})"}));
  ASSERT_TRUE(store_->append_audit({"10.1.2.3:5000 (Nguyễn)", "requeue-dead-letters", "{}"}));
  ASSERT_TRUE(store_->append_audit({"bob", "reprocess-range", "{\"bad\":\"\xff\"}"}));
  auto rows = store_->audit(2);
  ASSERT_TRUE(rows) << rows.error().message();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].actor, "bob");
  EXPECT_EQ((*rows)[0].detail, "{\"bad\":\"\xef\xbf\xbd\"}") << "stored as UTF-8";
  EXPECT_EQ((*rows)[1].actor, "10.1.2.3:5000 (Nguyễn)");
  EXPECT_EQ((*rows)[1].action, "requeue-dead-letters");
  EXPECT_GT((*rows)[0].id, (*rows)[1].id);
  EXPECT_GE((*rows)[0].at_us, (*rows)[1].at_us);
  EXPECT_GT((*rows)[1].at_us, kT0);
  EXPECT_EQ(store_->audit(100)->size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReplayContractTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres));

}  // namespace
}  // namespace hisbridge::store
