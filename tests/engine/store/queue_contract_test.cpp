// The destination queues (Store::set_statuses with deliveries, due_deliveries,
// update_deliveries, queue_depths, deliveries_of, and prune's care for them), run against every
// implementation: SqliteStore on a temporary file always, PostgresStore when HISBRIDGE_TEST_PG
// names a server.
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

constexpr std::int64_t kWindow = 0;  // no duplicate check: every message is its own
constexpr std::int64_t kT0 = 1772673300LL * 1000 * 1000;  // 2026-03-05 01:15:00 UTC
constexpr std::int64_t kSecond = 1000 * 1000;
const std::string kQueue = "lis-inbound/his";

class QueueContractTest : public testing::StoreContractTest {
 protected:
  // A message received at kT0 + `second` s, marked processed with one entry per queue given,
  // all with `order_key`.
  std::int64_t processed(const std::string& order_key, std::vector<std::string> queues = {kQueue},
                         std::int64_t second = 0) {
    auto appended = store_->append(
        std::vector<NewMessage>{test_message("C" + std::to_string(next_++), kT0 + second * kSecond)},
        kWindow);
    EXPECT_TRUE(appended) << appended.error().message();
    StatusUpdate update{appended->front().id, MessageStatus::processed, {}, {}};
    for (auto& q : queues) {
      update.deliveries.push_back({std::move(q), order_key});
    }
    EXPECT_TRUE(store_->set_statuses({&update, 1}));
    return appended->front().id;
  }

  std::vector<QueuedDelivery> due(std::int64_t now_us = kT0 + 3600 * kSecond,
                                  std::size_t limit = 100, const std::string& queue = kQueue) {
    auto got = store_->due_deliveries(queue, now_us, limit);
    EXPECT_TRUE(got) << got.error().message();
    return got ? *got : std::vector<QueuedDelivery>{};
  }

  std::vector<std::int64_t> due_messages(std::int64_t now_us = kT0 + 3600 * kSecond) {
    std::vector<std::int64_t> out;
    for (const auto& d : due(now_us)) {
      out.push_back(d.message_id);
    }
    return out;
  }

  void update(std::vector<DeliveryUpdate> updates) {
    auto done = store_->update_deliveries(updates);
    ASSERT_TRUE(done) << done.error().message();
  }

  std::vector<QueueDepth> depths() {
    auto got = store_->queue_depths();
    EXPECT_TRUE(got) << got.error().message();
    return got ? *got : std::vector<QueueDepth>{};
  }

  int next_ = 0;
};

TEST_P(QueueContractTest, ProcessedMessageGetsItsEntriesInTheSameCall) {
  const std::int64_t a = processed("ORD1", {kQueue, "lis-inbound/copy"});
  const auto entries = store_->deliveries_of(a);
  ASSERT_TRUE(entries) << entries.error().message();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].queue, kQueue);
  EXPECT_EQ((*entries)[1].queue, "lis-inbound/copy");
  for (const QueuedDelivery& e : *entries) {
    EXPECT_EQ(e.message_id, a);
    EXPECT_EQ(e.order_key, "ORD1");
    EXPECT_EQ(e.state, DeliveryState::pending);
    EXPECT_EQ(e.attempts, 0);
    EXPECT_EQ(e.next_attempt_us, 0);
    EXPECT_GT(e.created_at_us, 0);
  }
  EXPECT_LT((*entries)[0].id, (*entries)[1].id);
  EXPECT_EQ(store_->get(a)->message.status, MessageStatus::processed);
}

TEST_P(QueueContractTest, AMessageProcessedAgainGetsNoSecondPendingEntry) {
  const std::int64_t a = processed("ORD1");
  StatusUpdate again{a, MessageStatus::processed, {}, {{kQueue, "ORD1"}}};
  ASSERT_TRUE(store_->set_statuses({&again, 1}));
  EXPECT_EQ(store_->deliveries_of(a)->size(), 1u);
  // Once delivered, a replay may queue it again.
  const auto entry = store_->deliveries_of(a)->front();
  update({{entry.id, DeliveryState::delivered, 0, 0, ""}});
  ASSERT_TRUE(store_->set_statuses({&again, 1}));
  EXPECT_EQ(store_->deliveries_of(a)->size(), 2u);
}

TEST_P(QueueContractTest, DueEntriesComeOldestFirstPerQueueUpToTheLimit) {
  const std::int64_t a = processed("");
  const std::int64_t b = processed("", {"other/his"});
  const std::int64_t c = processed("");
  EXPECT_EQ(due_messages(), (std::vector<std::int64_t>{a, c}));
  EXPECT_EQ(due(kT0, 1).size(), 1u);
  const auto other = due(kT0, 10, "other/his");
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].message_id, b);
  EXPECT_TRUE(due(kT0, 10, "nobody/here").empty());
}

TEST_P(QueueContractTest, DeliveredAndDeadEntriesAreNoLongerDue) {
  const std::int64_t a = processed("");
  const std::int64_t b = processed("");
  const std::int64_t c = processed("");
  const auto entries = due();
  ASSERT_EQ(entries.size(), 3u);
  update({{entries[0].id, DeliveryState::delivered, 0, 0, ""},
          {entries[1].id, DeliveryState::dead, 3, 0, "HIS refused: bad unit"}});
  EXPECT_EQ(due_messages(), (std::vector<std::int64_t>{c}));
  const auto dead = store_->deliveries_of(b)->front();
  EXPECT_EQ(dead.state, DeliveryState::dead);
  EXPECT_EQ(dead.attempts, 3);
  EXPECT_EQ(dead.last_error, "HIS refused: bad unit");
  EXPECT_EQ(store_->deliveries_of(a)->front().state, DeliveryState::delivered);
}

TEST_P(QueueContractTest, AnEntryWaitingOutARetryIsNotDueAndHoldsBackItsOrderKeyOnly) {
  const std::int64_t a1 = processed("ORD-A");
  const std::int64_t b1 = processed("ORD-B");
  const std::int64_t a2 = processed("ORD-A");
  const std::int64_t loose = processed("");
  const std::int64_t b2 = processed("ORD-B");
  const auto entries = due(kT0);
  ASSERT_EQ(entries.size(), 5u);
  // A's first result failed and waits until kT0 + 60 s.
  update({{entries[0].id, DeliveryState::pending, 1, kT0 + 60 * kSecond, "HIS locked"}});
  EXPECT_EQ(due_messages(kT0), (std::vector<std::int64_t>{b1, loose, b2}));
  // Its time has come: A's two results are due again, in order.
  EXPECT_EQ(due_messages(kT0 + 60 * kSecond), (std::vector<std::int64_t>{a1, b1, a2, loose, b2}));
  // A dead entry does not hold its key back.
  update({{entries[0].id, DeliveryState::dead, 5, 0, "gave up"}});
  EXPECT_EQ(due_messages(kT0), (std::vector<std::int64_t>{b1, a2, loose, b2}));
}

TEST_P(QueueContractTest, DepthsCountPendingAndDeadPerQueue) {
  EXPECT_TRUE(depths().empty());
  processed("", {kQueue, "lis-inbound/copy"}, 0);
  processed("", {kQueue}, 5);
  processed("", {kQueue}, 9);
  auto entries = due();
  ASSERT_EQ(entries.size(), 3u);
  update({{entries[0].id, DeliveryState::delivered, 0, 0, ""},
          {entries[1].id, DeliveryState::dead, 1, 0, "refused"}});
  const auto all = depths();  // in name order
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].queue, "lis-inbound/copy");
  EXPECT_EQ(all[0].pending, 1);
  EXPECT_EQ(all[0].dead, 0);
  EXPECT_EQ(all[1].queue, kQueue);
  EXPECT_EQ(all[1].pending, 1);
  EXPECT_EQ(all[1].dead, 1);
  EXPECT_EQ(all[1].oldest_pending_us, entries[2].created_at_us);
  update({{entries[2].id, DeliveryState::delivered, 0, 0, ""}});
  const auto after = depths();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[1].pending, 0);
  EXPECT_EQ(after[1].dead, 1);
  EXPECT_EQ(after[1].oldest_pending_us, 0);
}

TEST_P(QueueContractTest, AnUnknownIdInAnUpdateIsSkipped) {
  processed("");
  const auto entries = due();
  update({{entries[0].id + 1000, DeliveryState::delivered, 0, 0, ""},
          {entries[0].id, DeliveryState::delivered, 0, 0, ""}});
  EXPECT_TRUE(due().empty());
}

TEST_P(QueueContractTest, PruneKeepsAMessageWithAPendingEntryAndTakesTheEntriesOfThoseItDeletes) {
  const std::int64_t waiting = processed("", {kQueue}, 0);
  const std::int64_t delivered = processed("", {kQueue}, 1);
  processed("", {kQueue}, 100);  // the newest row, which SQLite keeps
  const auto entries = due();
  update({{entries[1].id, DeliveryState::delivered, 0, 0, ""}});
  auto pruned = store_->prune(kT0 + 50 * kSecond, 100);
  ASSERT_TRUE(pruned) << pruned.error().message();
  EXPECT_EQ(*pruned, 1u);
  EXPECT_TRUE(store_->get(waiting));
  EXPECT_FALSE(store_->get(delivered));
  EXPECT_TRUE(store_->deliveries_of(delivered)->empty());
  EXPECT_EQ(store_->deliveries_of(waiting)->size(), 1u);
  // Delivered at last, it goes at the next pass.
  update({{entries[0].id, DeliveryState::delivered, 0, 0, ""}});
  EXPECT_EQ(*store_->prune(kT0 + 50 * kSecond, 100), 1u);
  EXPECT_TRUE(store_->deliveries_of(waiting)->empty());
}

TEST_P(QueueContractTest, OrderKeysKeepTheirBytes) {
  const std::int64_t a = processed("Nguyễn Văn Ánh|ORD 1");
  EXPECT_EQ(store_->deliveries_of(a)->front().order_key, "Nguyễn Văn Ánh|ORD 1");
}

INSTANTIATE_TEST_SUITE_P(Backends, QueueContractTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres));

}  // namespace
}  // namespace hisbridge::store
