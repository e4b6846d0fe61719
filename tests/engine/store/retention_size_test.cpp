// Retention by size against every implementation: Store::data_bytes() and the Pruner's size
// rule (store.retention.max_size) on SqliteStore (a temporary file) and PostgresStore (when
// HISBRIDGE_TEST_PG names a server), each with the pruner on a connection of its own.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/store/open_store.hpp"
#include "engine/store/retention.hpp"
#include "tests/engine/store/store_test_env.hpp"

namespace hisbridge::store {
namespace {

using namespace std::chrono_literals;
using testing::Backend;

constexpr std::int64_t kHour = 3600LL * 1000 * 1000;
constexpr std::int64_t kNow = 1772673300LL * 1000 * 1000;  // 2026-03-05 01:15:00 UTC
constexpr std::size_t kRawBytes = 4000;  // an ORU with a dozen results; stored uncompressed

class RetentionSizeTest : public testing::StoreContractTest {
 protected:
  // `n` messages received an hour apart from `first_us` on, given `status`; each carries
  // kRawBytes of random (incompressible) bytes. Their ids, oldest first.
  std::vector<std::int64_t> add(int n, std::int64_t first_us, MessageStatus status) {
    std::vector<NewMessage> batch;
    for (int i = 0; i < n; ++i) {
      NewMessage m = testing::test_message("C" + std::to_string(next_++), first_us + i * kHour);
      for (std::size_t b = 0; b < kRawBytes; ++b) {
        m.raw.push_back(static_cast<char>('A' + random_() % 26));
      }
      batch.push_back(std::move(m));
    }
    auto appended = store_->append(batch, 0);
    EXPECT_TRUE(appended) << (appended ? "" : appended.error().message());
    std::vector<std::int64_t> ids;
    std::vector<StatusUpdate> updates;
    for (const Appended& a : appended ? *appended : std::vector<Appended>{}) {
      ids.push_back(a.id);
      updates.push_back({a.id, status, ""});
    }
    if (status != MessageStatus::received) {
      EXPECT_TRUE(store_->set_statuses(updates));
    }
    return ids;
  }

  std::int64_t data_bytes() {
    auto bytes = store_->data_bytes();
    EXPECT_TRUE(bytes) << (bytes ? "" : bytes.error().message());
    return bytes ? *bytes : 0;
  }

  bool exists(std::int64_t id) { return static_cast<bool>(store_->get(id)); }

  // A pruner on its own connection with the size rule only: at most `max_size` bytes, nothing
  // younger than a day.
  std::unique_ptr<Pruner> pruner(std::int64_t max_size) {
    auto connection = open_store(place_.location);
    EXPECT_TRUE(connection) << (connection ? "" : connection.error().message());
    PrunerOptions o;
    o.max_size_bytes = max_size;
    o.min_age = 24h;
    o.batch = 25;
    o.pause = 0ms;
    o.now_us = [] { return kNow; };
    return std::make_unique<Pruner>(connection ? std::move(*connection) : nullptr, o);
  }

  std::mt19937 random_{11};
  int next_ = 1;
};

TEST_P(RetentionSizeTest, DataBytesGrowWithMessagesAndFallWhenTheyArePruned) {
  const std::int64_t empty = data_bytes();
  add(200, kNow - 30 * 24 * kHour, MessageStatus::processed);
  const std::int64_t full = data_bytes();
  // 200 messages of over 4 kB each: at least 800 kB more, and not wildly more.
  EXPECT_GE(full - empty, 200 * static_cast<std::int64_t>(kRawBytes));
  EXPECT_LE(full - empty, 200 * 3 * static_cast<std::int64_t>(kRawBytes));
  auto pruned = store_->prune(kNow, 100);
  ASSERT_TRUE(pruned) << pruned.error().message();
  ASSERT_EQ(*pruned, 100u);
  const std::int64_t half = data_bytes();
  EXPECT_LT(half, full - 80 * static_cast<std::int64_t>(kRawBytes));
}

TEST_P(RetentionSizeTest, OverTheLimitTheOldestFinalMessagesGoUntilTheDataIsUnderTheTarget) {
  const std::vector<std::int64_t> waiting = add(20, kNow - 40 * 24 * kHour, MessageStatus::received);
  const std::vector<std::int64_t> old = add(300, kNow - 30 * 24 * kHour, MessageStatus::processed);
  const std::vector<std::int64_t> recent = add(20, kNow - 20 * kHour, MessageStatus::processed);
  const std::int64_t full = data_bytes();
  const std::int64_t max_size = full / 2;

  auto p = pruner(max_size);
  auto deleted = p->run_pass();
  ASSERT_TRUE(deleted) << deleted.error().message();
  const std::int64_t after = data_bytes();
  EXPECT_LE(after, max_size);
  EXPECT_GT(*deleted, 100u);
  EXPECT_EQ(p->counters().pruned, *deleted);
  // Oldest first: the first of the old ones went, the newest of them stayed.
  EXPECT_FALSE(exists(old.front()));
  EXPECT_TRUE(exists(old.back()));
  for (const std::int64_t id : waiting) {
    EXPECT_TRUE(exists(id)) << "a received message was deleted: " << id;
  }
  for (const std::int64_t id : recent) {
    EXPECT_TRUE(exists(id)) << "a message inside min_age was deleted: " << id;
  }
  auto stats = store_->stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->messages, 340 - static_cast<std::int64_t>(*deleted));
  EXPECT_EQ(stats->received, 20);

  // Under the limit now: the next pass deletes nothing.
  auto again = p->run_pass();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);
}

TEST_P(RetentionSizeTest, UnderTheLimitNothingIsDeleted) {
  add(50, kNow - 30 * 24 * kHour, MessageStatus::processed);
  auto p = pruner(data_bytes() + 1);
  auto deleted = p->run_pass();
  ASSERT_TRUE(deleted) << deleted.error().message();
  EXPECT_EQ(*deleted, 0u);
  EXPECT_EQ(p->counters().passes, 1u);
}

TEST_P(RetentionSizeTest, WhenNothingMayGoThePassEndsCleanlyAndKeepsEverything) {
  add(40, kNow - 30 * 24 * kHour, MessageStatus::received);
  add(10, kNow - 2 * kHour, MessageStatus::processed);  // inside min_age
  auto p = pruner(1);
  auto deleted = p->run_pass();
  ASSERT_TRUE(deleted) << deleted.error().message();
  EXPECT_EQ(*deleted, 0u);
  EXPECT_EQ(p->counters().failures, 0u);
  auto stats = store_->stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->messages, 50);
}

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::sqlite ? "Sqlite" : "Postgres";
}

INSTANTIATE_TEST_SUITE_P(Stores, RetentionSizeTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name);

}  // namespace
}  // namespace hisbridge::store
