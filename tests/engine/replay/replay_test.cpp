// The replay steps on a real SQLite journal (the store's own contract suite runs them on
// PostgreSQL too): what each id's verdict is, the steps and their progress, a failed step, and
// the audit row.
#include "engine/replay/replay.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <utility>
#include <vector>

#include "engine/store/open_store.hpp"
#include "tests/engine/store/store_test_env.hpp"

namespace hisbridge::replay {
namespace {

using store::MessageStatus;
using store::testing::test_message;

constexpr std::int64_t kT0 = 1772673300LL * 1000 * 1000;
constexpr std::int64_t kSecond = 1000 * 1000;

// Forwards to a real store, but its n-th reprocess_range() step fails as a lost journal would.
class FailingStore final : public store::Store {
 public:
  FailingStore(store::Store& inner, int failing_step) : inner_(inner), failing_(failing_step) {}
  Result<std::vector<store::Appended>> append(std::span<const store::NewMessage> b,
                                              std::int64_t w) override {
    return inner_.append(b, w);
  }
  Result<std::vector<store::StoredMessage>> pending(std::string_view s, std::int64_t a,
                                                    std::size_t l) override {
    return inner_.pending(s, a, l);
  }
  Result<void> set_status(std::int64_t id, MessageStatus s, std::string_view e) override {
    return inner_.set_status(id, s, e);
  }
  Result<void> set_statuses(std::span<const store::StatusUpdate> u) override {
    return inner_.set_statuses(u);
  }
  Result<store::StoredMessage> get(std::int64_t id) override { return inner_.get(id); }
  Result<std::vector<store::StoredMessage>> find(const store::MessageQuery& q) override {
    return inner_.find(q);
  }
  Result<store::StoreStats> stats() override { return inner_.stats(); }
  Result<std::size_t> count_reprocessable(const store::ReprocessRange& r) override {
    return inner_.count_reprocessable(r);
  }
  Result<store::ReplayBatch> reprocess_range(const store::ReprocessRange& r, std::int64_t a,
                                             std::size_t l) override {
    if (++steps_ == failing_) {
      return store::StoreError::unavailable;
    }
    return inner_.reprocess_range(r, a, l);
  }

 private:
  store::Store& inner_;
  int failing_;
  int steps_ = 0;
};

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_store((dir_.path() / "journal.db").string());
    ASSERT_TRUE(opened) << opened.error().message();
    store_ = std::move(*opened);
  }

  // `count` messages of lis received a second apart from kT0, stored with `status`.
  std::vector<std::int64_t> stored(std::size_t count, MessageStatus status,
                                   std::int64_t first_second = 0) {
    std::vector<store::NewMessage> batch;
    for (std::size_t i = 0; i < count; ++i) {
      batch.push_back(test_message("C" + std::to_string(next_++),
                                   kT0 + (first_second + static_cast<std::int64_t>(i)) * kSecond));
      if (status == MessageStatus::rejected) {
        batch.back().status = status;
        batch.back().error = "no MSH segment";
      }
    }
    auto appended = store_->append(batch, 0);
    EXPECT_TRUE(appended) << appended.error().message();
    std::vector<std::int64_t> ids;
    std::vector<store::StatusUpdate> updates;
    for (const store::Appended& a : *appended) {
      ids.push_back(a.id);
      updates.push_back({a.id, status, status == MessageStatus::error ? "bad" : "", {}});
    }
    if (status == MessageStatus::processed || status == MessageStatus::error) {
      EXPECT_TRUE(store_->set_statuses(updates));
    }
    return ids;
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  int next_ = 0;
  std::vector<std::pair<std::size_t, std::size_t>> progress_;
  Progress record_ = [this](std::size_t done, std::size_t total) {
    progress_.emplace_back(done, total);
  };
};

TEST_F(ReplayTest, EachIdGetsAVerdictAndOnlyProcessedAndErrorGoBack) {
  const auto done = stored(1, MessageStatus::processed)[0];
  const auto failed = stored(1, MessageStatus::error)[0];
  const auto rejected = stored(1, MessageStatus::rejected)[0];
  const auto waiting = stored(1, MessageStatus::received)[0];
  auto dup = store_->append(std::vector<store::NewMessage>{test_message("C0", kT0 + kSecond)},
                            3600 * kSecond);
  ASSERT_TRUE(dup && (*dup)[0].duplicate);
  const std::vector<std::int64_t> ids{done, failed, rejected, waiting, (*dup)[0].id, 424242};
  const MessagesOutcome out = reprocess_messages(*store_, ids, record_);
  EXPECT_FALSE(out.error);
  EXPECT_EQ(out.changed, 2u);
  ASSERT_EQ(out.messages.size(), 6u);
  EXPECT_EQ(out.messages[0].verdict, Verdict::sent_back);
  EXPECT_EQ(out.messages[0].status, MessageStatus::processed);
  EXPECT_EQ(out.messages[1].verdict, Verdict::sent_back);
  EXPECT_EQ(out.messages[2].verdict, Verdict::refused);
  EXPECT_NE(out.messages[2].reason.find("rejected when it arrived (no MSH segment)"),
            std::string::npos);
  EXPECT_EQ(out.messages[3].verdict, Verdict::already_received);
  EXPECT_EQ(out.messages[4].verdict, Verdict::refused);
  EXPECT_NE(out.messages[4].reason.find("duplicate of message " + std::to_string(done)),
            std::string::npos);
  EXPECT_EQ(out.messages[5].verdict, Verdict::not_found);
  EXPECT_EQ(out.messages[5].reason, "no message 424242 in the journal");
  EXPECT_EQ(progress_, (std::vector<std::pair<std::size_t, std::size_t>>{{6, 6}}));
  EXPECT_EQ(store_->get(failed)->message.status, MessageStatus::received);
}

TEST_F(ReplayTest, ManyIdsGoBackInSteps) {
  const auto ids = stored(kStep * 2 + 100, MessageStatus::processed);
  const MessagesOutcome out = reprocess_messages(*store_, ids, record_);
  EXPECT_EQ(out.changed, ids.size());
  const std::size_t n = ids.size();
  EXPECT_EQ(progress_,
            (std::vector<std::pair<std::size_t, std::size_t>>{{kStep, n}, {2 * kStep, n}, {n, n}}));
}

TEST_F(ReplayTest, ARangeGoesBackInStepsUpToItsCount) {
  stored(2, MessageStatus::processed, 0);  // before the range
  stored(kStep + 100, MessageStatus::processed, 10);
  stored(5, MessageStatus::rejected, 10);
  const store::ReprocessRange range{"lis", kT0 + 10 * kSecond, kT0 + 100'000 * kSecond};
  const Outcome out = reprocess_range(*store_, range, record_);
  EXPECT_FALSE(out.error);
  EXPECT_EQ(out.changed, kStep + 100);
  EXPECT_EQ(progress_, (std::vector<std::pair<std::size_t, std::size_t>>{
                           {kStep, kStep + 100}, {kStep + 100, kStep + 100}}));
  EXPECT_EQ(store_->stats()->received, static_cast<std::int64_t>(kStep + 100));
  EXPECT_EQ(store_->stats()->processed, 2);
}

TEST_F(ReplayTest, AFailedStepKeepsTheStepsBeforeItAndSaysWhy) {
  stored(kStep + 10, MessageStatus::processed);
  FailingStore failing(*store_, 2);
  const Outcome out = reprocess_range(failing, {"lis", kT0, kT0 + 100'000 * kSecond}, record_);
  EXPECT_EQ(out.error, store::StoreError::unavailable);
  EXPECT_EQ(out.changed, kStep);
  EXPECT_EQ(store_->stats()->received, static_cast<std::int64_t>(kStep));
}

TEST_F(ReplayTest, DeadLettersOfOneQueueArePendingAgain) {
  const auto ids = stored(3, MessageStatus::received);
  std::vector<store::StatusUpdate> updates;
  for (const auto id : ids) {
    updates.push_back({id, MessageStatus::processed, {}, {{"lab/his", ""}, {"lab/copy", ""}}});
  }
  ASSERT_TRUE(store_->set_statuses(updates));
  std::vector<store::DeliveryUpdate> dead;
  for (const auto id : ids) {
    for (const auto& e : *store_->deliveries_of(id)) {
      dead.push_back({e.id, store::DeliveryState::dead, 5, 0, "refused"});
    }
  }
  ASSERT_TRUE(store_->update_deliveries(dead));
  const Outcome out = requeue_dead_letters(*store_, "lab/his", record_);
  EXPECT_FALSE(out.error);
  EXPECT_EQ(out.changed, 3u);
  EXPECT_EQ(progress_, (std::vector<std::pair<std::size_t, std::size_t>>{{3, 3}}));
  auto depths = store_->queue_depths();
  ASSERT_TRUE(depths);
  ASSERT_EQ(depths->size(), 2u);
  EXPECT_EQ((*depths)[0].queue, "lab/copy");
  EXPECT_EQ((*depths)[0].dead, 3);
  EXPECT_EQ((*depths)[1].pending, 3);
  EXPECT_EQ((*depths)[1].dead, 0);
}

TEST_F(ReplayTest, TheAuditRowHoldsTheSelectionAndTheOutcome) {
  auto file = audit::AuditFile::open({dir_.path() / "audit.log", 1'000'000, 3});
  ASSERT_TRUE(file) << file.error();
  audit::AuditTrail trail(audit::AuditTrail::journal_of(*store_), std::move(*file));
  Outcome out;
  out.changed = 7;
  out.error = store::StoreError::busy;
  ASSERT_TRUE(write_audit(
      trail, {"alice", "cli", std::string(kReprocessRange), {{"via", "cli"}, {"channel", "lab"}}},
      out));
  auto rows = store_->audit(1);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].actor, "alice");
  EXPECT_EQ((*rows)[0].action, "reprocess-range");
  const auto detail = nlohmann::json::parse((*rows)[0].detail);
  EXPECT_EQ(detail["channel"], "lab");
  EXPECT_EQ(detail["changed"], 7);
  EXPECT_EQ(detail["error"], out.error.message());
  // The audit file has the same entry, with where it came from.
  std::ifstream in(dir_.path() / "audit.log");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  const auto logged = nlohmann::json::parse(line);
  EXPECT_EQ(logged["actor"], "alice");
  EXPECT_EQ(logged["from"], "cli");
  EXPECT_EQ(logged["action"], "reprocess-range");
  EXPECT_EQ(logged["detail"], detail);
  EXPECT_FALSE(std::getline(in, line)) << "one line";
}

}  // namespace
}  // namespace hisbridge::replay
