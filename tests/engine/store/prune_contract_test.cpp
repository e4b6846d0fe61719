// Store::prune(), the journal's retention, run against every implementation: SqliteStore on a
// temporary file always, PostgresStore when HISBRIDGE_TEST_PG names a server.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "engine/store/open_store.hpp"
#include "tests/engine/store/store_test_env.hpp"

namespace hisbridge::store {
namespace {

using testing::Backend;
using testing::test_message;

constexpr std::int64_t kMinute = 60LL * 1000 * 1000;
constexpr std::int64_t kWindow = 10 * kMinute;
constexpr std::int64_t kT0 = 1772673300LL * 1000 * 1000;  // 2026-03-05 01:15:00 UTC

class PruneContractTest : public testing::StoreContractTest {
 protected:
  Appended append_one(NewMessage m) {
    auto appended = store_->append(std::vector<NewMessage>{std::move(m)}, kWindow);
    EXPECT_TRUE(appended) << (appended ? "" : appended.error().message());
    return appended && appended->size() == 1 ? appended->front() : Appended{};
  }

  // Appends `control_id` at kT0 + `minute` minutes and gives it `status`.
  std::int64_t add(const std::string& control_id, std::int64_t minute, MessageStatus status) {
    const std::int64_t id = append_one(test_message(control_id, kT0 + minute * kMinute)).id;
    if (status != MessageStatus::received) {
      EXPECT_TRUE(store_->set_status(id, status, status == MessageStatus::error ? "bad" : ""));
    }
    return id;
  }

  std::size_t prune(std::int64_t before_us, std::size_t limit) {
    auto pruned = store_->prune(before_us, limit);
    EXPECT_TRUE(pruned) << (pruned ? "" : pruned.error().message());
    return pruned ? *pruned : 0;
  }

  bool exists(std::int64_t id) {
    auto got = store_->get(id);
    EXPECT_TRUE(got || got.error() == StoreError::not_found);
    return static_cast<bool>(got);
  }

  StoreStats stats() {
    auto s = store_->stats();
    EXPECT_TRUE(s) << (s ? "" : s.error().message());
    return s ? *s : StoreStats{};
  }

};

TEST_P(PruneContractTest, DeletesFinalStatusesBeforeTheCutoffOldestFirstAtMostLimit) {
  const std::int64_t processed = add("A", 0, MessageStatus::processed);
  const std::int64_t received = add("B", 1, MessageStatus::received);
  const std::int64_t rejected = add("C", 2, MessageStatus::rejected);
  const std::int64_t duplicate = add("D", 3, MessageStatus::duplicate);
  const std::int64_t error = add("E", 4, MessageStatus::error);
  const std::int64_t later = add("F", 6, MessageStatus::processed);
  const std::int64_t cutoff = kT0 + 5 * kMinute;

  EXPECT_EQ(prune(cutoff, 2), 2u);
  EXPECT_FALSE(exists(processed));
  EXPECT_FALSE(exists(rejected));
  EXPECT_TRUE(exists(duplicate));
  EXPECT_TRUE(exists(error));

  EXPECT_EQ(prune(cutoff, 10), 2u);
  EXPECT_FALSE(exists(duplicate));
  EXPECT_FALSE(exists(error));
  EXPECT_EQ(prune(cutoff, 10), 0u);
  EXPECT_TRUE(exists(received));
  EXPECT_TRUE(exists(later));
}

TEST_P(PruneContractTest, ReceivedMessagesStayHoweverOldAndStayPending) {
  const std::int64_t old_received = add("A", 0, MessageStatus::received);
  add("B", 1, MessageStatus::processed);
  const std::int64_t new_received = add("C", 2, MessageStatus::received);
  EXPECT_EQ(prune(kT0 + 60 * kMinute, 100), 1u);
  ASSERT_TRUE(exists(old_received));
  auto pending = store_->pending("lis", 0, 10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ(pending->front().id, old_received);
  EXPECT_EQ(pending->back().id, new_received);
}

TEST_P(PruneContractTest, CountsStayExact) {
  add("A", 0, MessageStatus::processed);
  add("B", 1, MessageStatus::processed);
  add("C", 2, MessageStatus::rejected);
  add("D", 3, MessageStatus::duplicate);
  add("E", 4, MessageStatus::error);
  add("F", 5, MessageStatus::received);
  add("G", 9, MessageStatus::processed);
  add("H", 10, MessageStatus::received);
  EXPECT_EQ(prune(kT0 + 8 * kMinute, 3), 3u);  // A, B, C
  StoreStats s = stats();
  EXPECT_EQ(s.messages, 5);
  EXPECT_EQ(s.processed, 1);
  EXPECT_EQ(s.rejected, 0);
  EXPECT_EQ(s.duplicate, 1);
  EXPECT_EQ(s.error, 1);
  EXPECT_EQ(s.received, 2);
  EXPECT_EQ(prune(kT0 + 8 * kMinute, 3), 2u);  // D, E
  s = stats();
  EXPECT_EQ(s.messages, 3);
  EXPECT_EQ(s.processed, 1);
  EXPECT_EQ(s.duplicate, 0);
  EXPECT_EQ(s.error, 0);
  EXPECT_EQ(s.received, 2);
  MessageQuery every;
  every.limit = 100;
  auto rows = store_->find(every);
  ASSERT_TRUE(rows);
  EXPECT_EQ(static_cast<std::int64_t>(rows->size()), s.messages);
}

TEST_P(PruneContractTest, ARepeatArrivingAfterItsOriginalWasPrunedIsStoredAsNew) {
  const std::int64_t original = add("A", 0, MessageStatus::processed);
  const Appended repeat = append_one(test_message("A", kT0 + kMinute));
  EXPECT_TRUE(repeat.duplicate);
  EXPECT_EQ(repeat.duplicate_of, original);
  add("B", 5, MessageStatus::received);
  EXPECT_EQ(prune(kT0 + 2 * kMinute, 10), 2u);  // the original and its duplicate
  const Appended again = append_one(test_message("A", kT0 + 3 * kMinute));
  EXPECT_FALSE(again.duplicate);
  EXPECT_EQ(again.duplicate_of, 0);
  EXPECT_EQ(stats().received, 2);
}

TEST_P(PruneContractTest, IdsKeepGrowingAfterEverythingOldIsPruned) {
  std::int64_t last = 0;
  for (int i = 0; i < 5; ++i) {
    last = add("M" + std::to_string(i), i, MessageStatus::processed);
  }
  prune(kT0 + 60 * kMinute, 100);
  const std::int64_t next = add("N", 61, MessageStatus::received);
  EXPECT_GT(next, last);
  auto pending = store_->pending("lis", last, 10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().id, next);
}

TEST_P(PruneContractTest, ALimitOfZeroOrAnEmptyJournalDeletesNothing) {
  EXPECT_EQ(prune(kT0 + 60 * kMinute, 100), 0u);
  add("A", 0, MessageStatus::processed);
  add("B", 1, MessageStatus::processed);
  EXPECT_EQ(prune(kT0 + 60 * kMinute, 0), 0u);
  EXPECT_EQ(stats().messages, 2);
}

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::sqlite ? "Sqlite" : "Postgres";
}

INSTANTIATE_TEST_SUITE_P(Stores, PruneContractTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name);

}  // namespace
}  // namespace hisbridge::store
