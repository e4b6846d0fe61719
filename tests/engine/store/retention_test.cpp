// The Pruner on a real SQLite journal in a temporary folder: what it deletes, what it keeps,
// the counts, its thread, and the pages a new file gives back.
#include "engine/store/retention.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <random>
#include <string>
#include <vector>

#include "engine/store/sqlite_store.hpp"
#include "tests/engine/store/store_test_env.hpp"

namespace hisbridge::store {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::int64_t kDay = 24LL * 3600 * 1000 * 1000;
constexpr std::int64_t kNow = 1772673300LL * 1000 * 1000;  // 2026-03-05 01:15:00 UTC
// Long enough for any pass of these tests on a loaded machine; a guard against a hang, not a
// measurement.
constexpr auto kPatience = 60s;

std::int64_t sql_int(const fs::path& file, const std::string& text) {
  return std::stoll(testing::sqlite_value(file, text));
}

class PrunerTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = open(); }

  std::unique_ptr<SqliteStore> open() {
    auto opened = SqliteStore::open(file_);
    EXPECT_TRUE(opened) << (opened ? "" : opened.error().message());
    return opened ? std::move(*opened) : nullptr;
  }

  // `n` messages received at `at_us`, given `status`; `raw_bytes` of incompressible bytes.
  void add(int n, std::int64_t at_us, MessageStatus status, std::size_t raw_bytes = 64) {
    std::vector<NewMessage> batch;
    for (int i = 0; i < n; ++i) {
      NewMessage m;
      m.raw = "MSH|^~\\&|LIS|LAB|HIS|HOSP|||ORU^R01|" + std::to_string(next_) + "|P|2.5.1\r";
      for (std::size_t b = 0; b < raw_bytes; ++b) {
        m.raw.push_back(static_cast<char>(random_()));
      }
      m.received_at_us = at_us;
      m.source = "lis";
      m.control_id = std::to_string(next_++);
      m.sending_application = "LIS";
      m.message_type = "ORU^R01";
      batch.push_back(std::move(m));
    }
    auto appended = store_->append(batch, 0);
    ASSERT_TRUE(appended) << appended.error().message();
    if (status == MessageStatus::received) {
      return;
    }
    std::vector<StatusUpdate> updates;
    for (const Appended& a : *appended) {
      updates.push_back({a.id, status, ""});
    }
    ASSERT_TRUE(store_->set_statuses(updates));
  }

  PrunerOptions options(std::size_t batch = 500) {
    PrunerOptions o;
    o.max_age = 24h * 90;
    o.batch = batch;
    o.interval = 10ms;
    o.pause = 0ms;
    o.now_us = [] { return kNow; };
    return o;
  }

  StoreStats stats() {
    auto s = store_->stats();
    EXPECT_TRUE(s);
    return s ? *s : StoreStats{};
  }

  testing::TempDir dir_;
  fs::path file_ = dir_.path() / "hisbridge.db";
  std::unique_ptr<SqliteStore> store_;
  std::mt19937 random_{7};
  int next_ = 1;
};

TEST_F(PrunerTest, APassDeletesEveryDueFinalMessageBatchAfterBatchAndKeepsCountsExact) {
  add(23, kNow - 200 * kDay, MessageStatus::processed);
  add(4, kNow - 150 * kDay, MessageStatus::error);
  add(3, kNow - 120 * kDay, MessageStatus::received);
  add(5, kNow - 100 * kDay, MessageStatus::rejected);
  add(6, kNow - 10 * kDay, MessageStatus::processed);
  add(2, kNow - 1 * kDay, MessageStatus::received);
  Pruner pruner(open(), options(5));
  auto deleted = pruner.run_pass();
  ASSERT_TRUE(deleted) << deleted.error().message();
  EXPECT_EQ(*deleted, 32u);
  EXPECT_EQ(pruner.counters().pruned, 32u);
  EXPECT_EQ(pruner.counters().passes, 1u);
  const StoreStats s = stats();
  EXPECT_EQ(s.messages, 11);
  EXPECT_EQ(s.received, 5);
  EXPECT_EQ(s.processed, 6);
  EXPECT_EQ(s.error, 0);
  EXPECT_EQ(s.rejected, 0);
  EXPECT_EQ(sql_int(file_, "SELECT count(*) FROM hisbridge_messages"), 11);
  EXPECT_EQ(sql_int(file_, "SELECT count(*) FROM hisbridge_messages WHERE received_at_us < " +
                               std::to_string(kNow - 90 * kDay) + " AND status <> 'received'"),
            0);
  auto again = pruner.run_pass();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);
}

TEST_F(PrunerTest, TheThreadPrunesEveryIntervalUntilStopped) {
  add(10, kNow - 100 * kDay, MessageStatus::processed);
  add(1, kNow, MessageStatus::processed);
  Pruner pruner(open(), options(4));
  pruner.start();
  ASSERT_TRUE(pruner.wait_for_passes(1, kPatience));
  EXPECT_EQ(stats().messages, 1);
  // Stored later (late final statuses, say): the next passes take them. A newer message
  // after them, since the newest message always stays (SqliteStore::prune).
  add(7, kNow - 95 * kDay, MessageStatus::duplicate);
  add(1, kNow, MessageStatus::received);
  const std::uint64_t seen = pruner.counters().passes;
  ASSERT_TRUE(pruner.wait_for_passes(seen + 2, kPatience));
  pruner.stop();
  EXPECT_EQ(stats().messages, 2);
  EXPECT_EQ(stats().duplicate, 0);
  EXPECT_EQ(pruner.counters().pruned, 17u);
  EXPECT_EQ(pruner.counters().failures, 0u);
  const std::uint64_t passes = pruner.counters().passes;
  pruner.stop();  // idempotent
  EXPECT_EQ(pruner.counters().passes, passes);
}

TEST_F(PrunerTest, NoMaxAgeStartsNoThread) {
  add(3, kNow - 1000 * kDay, MessageStatus::processed);
  add(1, kNow, MessageStatus::processed);
  PrunerOptions o = options();
  o.max_age = 0s;
  Pruner pruner(open(), o);
  pruner.start();
  EXPECT_FALSE(pruner.wait_for_passes(1, 0ms));
  pruner.stop();
  EXPECT_EQ(stats().messages, 4);
}

TEST_F(PrunerTest, ANewFileGivesFreedPagesBack) {
  EXPECT_EQ(testing::sqlite_value(file_, "PRAGMA auto_vacuum"), "2");  // incremental
  add(60, kNow - 100 * kDay, MessageStatus::processed, 20000);
  add(1, kNow, MessageStatus::processed);
  const std::int64_t before = sql_int(file_, "PRAGMA page_count");
  Pruner pruner(open(), options(10));
  ASSERT_TRUE(pruner.run_pass());
  const std::int64_t after = sql_int(file_, "PRAGMA page_count");
  EXPECT_LT(after * 4, before) << "pages " << before << " -> " << after;
  EXPECT_LT(sql_int(file_, "PRAGMA freelist_count"), SqliteStore::kVacuumPages);
  // After a checkpoint the file itself is that small.
  testing::sqlite_value(file_, "PRAGMA wal_checkpoint(TRUNCATE)");
  EXPECT_LE(static_cast<std::int64_t>(fs::file_size(file_)), after * 8192);
}

TEST_F(PrunerTest, AnOldFileWithoutAutoVacuumIsPrunedAndKeepsItsPagesForReuse) {
  store_.reset();
  testing::sqlite_value(file_, "PRAGMA auto_vacuum=NONE; VACUUM;");
  ASSERT_EQ(testing::sqlite_value(file_, "PRAGMA auto_vacuum"), "0");
  store_ = open();
  add(30, kNow - 100 * kDay, MessageStatus::processed, 20000);
  add(1, kNow, MessageStatus::processed);
  const std::int64_t before = sql_int(file_, "PRAGMA page_count");
  Pruner pruner(open(), options(10));
  auto deleted = pruner.run_pass();
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, 30u);
  EXPECT_EQ(sql_int(file_, "PRAGMA page_count"), before);
  EXPECT_GT(sql_int(file_, "PRAGMA freelist_count"), 30);
  EXPECT_EQ(testing::sqlite_value(file_, "PRAGMA auto_vacuum"), "0");  // never converted behind the operator
  EXPECT_EQ(stats().messages, 1);
}

}  // namespace
}  // namespace hisbridge::store
