#include "engine/store/group_committer.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "engine/store/sqlite_store.hpp"
#include "tests/engine/store/store_test_env.hpp"

namespace hisbridge::store {
namespace {

NewMessage message(int n) {
  NewMessage m;
  m.raw = "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01|C" + std::to_string(n) + "|P|2.5\r";
  m.received_at_us = 1772673300LL * 1000 * 1000 + n;
  m.source = "lis";
  m.control_id = "C" + std::to_string(n);
  m.sending_application = "LIS";
  m.sending_facility = "LAB";
  m.message_type = "ORU^R01";
  return m;
}

// Forwards to a real store and records every batch size; the first append waits at a gate
// until release(), so a test knows for certain what queues up during a commit.
class GatedStore final : public Store {
 public:
  explicit GatedStore(std::unique_ptr<Store> inner) : inner_(std::move(inner)) {}

  Result<std::vector<Appended>> append(std::span<const NewMessage> batch,
                                       std::int64_t window) override {
    std::unique_lock lock(mutex_);
    sizes_.push_back(batch.size());
    append_thread_ = std::this_thread::get_id();
    if (sizes_.size() == 1) {
      entered_ = true;
      changed_.notify_all();
      changed_.wait(lock, [&] { return released_; });
    }
    lock.unlock();
    if (fail_) {
      return make_error_code(StoreError::io);
    }
    return inner_->append(batch, window);
  }
  Result<std::vector<StoredMessage>> pending(std::string_view s, std::int64_t a,
                                             std::size_t l) override {
    return inner_->pending(s, a, l);
  }
  Result<void> set_status(std::int64_t id, MessageStatus s, std::string_view e) override {
    return inner_->set_status(id, s, e);
  }
  Result<void> set_statuses(std::span<const StatusUpdate> updates) override {
    {
      const std::lock_guard lock(mutex_);
      statuses_thread_ = std::this_thread::get_id();
    }
    return inner_->set_statuses(updates);
  }
  Result<StoredMessage> get(std::int64_t id) override { return inner_->get(id); }
  Result<std::vector<StoredMessage>> find(const MessageQuery& q) override {
    return inner_->find(q);
  }
  Result<StoreStats> stats() override { return inner_->stats(); }

  void wait_until_first_append() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return entered_; });
  }
  void release() {
    const std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }
  std::vector<std::size_t> sizes() {
    const std::lock_guard lock(mutex_);
    return sizes_;
  }
  std::thread::id statuses_thread() {
    const std::lock_guard lock(mutex_);
    return statuses_thread_;
  }
  std::thread::id append_thread() {
    const std::lock_guard lock(mutex_);
    return append_thread_;
  }
  bool fail_ = false;  // set before the committer starts

 private:
  std::unique_ptr<Store> inner_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::size_t> sizes_;
  bool entered_ = false;
  bool released_ = false;
  std::thread::id statuses_thread_;
  std::thread::id append_thread_;
};

// What the dones saw, in the order they ran.
struct Answers {
  std::mutex mutex;
  std::vector<int> order;                      // submission numbers
  std::vector<Result<Appended>> results;       // indexed by submission number
  std::vector<int> calls;                      // calls per submission number
  std::thread::id thread;                      // the thread dones ran on
  std::condition_variable answered;
  explicit Answers(std::size_t n) : results(n, make_error_code(StoreError::busy)), calls(n) {}

  GroupCommitter::Done done(int n) {
    return [this, n](Result<Appended> r) {
      const std::lock_guard lock(mutex);
      order.push_back(n);
      results[static_cast<std::size_t>(n)] = r;
      ++calls[static_cast<std::size_t>(n)];
      thread = std::this_thread::get_id();
      answered.notify_all();
    };
  }
  void wait_for(std::size_t n) {
    std::unique_lock lock(mutex);
    answered.wait(lock, [&] { return order.size() >= n; });
  }
};

class GroupCommitterTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> sqlite() {
    auto opened = SqliteStore::open(dir_.path() / "journal.db");
    EXPECT_TRUE(opened);
    return opened ? std::move(*opened) : nullptr;
  }
  testing::TempDir dir_;
};

TEST_F(GroupCommitterTest, WhatArrivesDuringACommitIsTheNextBatch) {
  auto gated = std::make_unique<GatedStore>(sqlite());
  GatedStore* gate = gated.get();
  GroupCommitter committer(std::move(gated));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  Answers answers(1 + kThreads * kPerThread);

  committer.submit(message(0), answers.done(0));
  gate->wait_until_first_append();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int n = 1 + t * kPerThread + i;
        committer.submit(message(n), answers.done(n));
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  gate->release();
  committer.stop();

  EXPECT_EQ(gate->sizes(), (std::vector<std::size_t>{1, kThreads * kPerThread}));
  const auto counters = committer.counters();
  EXPECT_EQ(counters.commits, 2U);
  EXPECT_EQ(counters.messages, 1U + kThreads * kPerThread);
  EXPECT_EQ(counters.last_batch, static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(counters.failed_commits, 0U);
  EXPECT_NE(answers.thread, std::this_thread::get_id());
}

TEST_F(GroupCommitterTest, LargeBacklogIsCommittedInBatchesOfMaxBatch) {
  auto gated = std::make_unique<GatedStore>(sqlite());
  GatedStore* gate = gated.get();
  GroupCommitter committer(std::move(gated), GroupCommitterOptions{30, 0});
  Answers answers(101);
  committer.submit(message(0), answers.done(0));
  gate->wait_until_first_append();
  for (int n = 1; n <= 100; ++n) {
    committer.submit(message(n), answers.done(n));
  }
  gate->release();
  committer.stop();
  EXPECT_EQ(gate->sizes(), (std::vector<std::size_t>{1, 30, 30, 30, 10}));
  // One submitter: dones run in submission order, and ids follow it.
  std::vector<int> expected(101);
  for (int n = 0; n <= 100; ++n) {
    expected[static_cast<std::size_t>(n)] = n;
  }
  EXPECT_EQ(answers.order, expected);
  for (std::size_t n = 1; n < answers.results.size(); ++n) {
    ASSERT_TRUE(answers.results[n]);
    EXPECT_GT(answers.results[n]->id, answers.results[n - 1]->id);
  }
}

TEST_F(GroupCommitterTest, ManyThreadsEveryDoneRunsOnceWithItsOwnId) {
  GroupCommitter committer(sqlite());
  constexpr int kThreads = 8;
  constexpr int kPerThread = 300;
  Answers answers(kThreads * kPerThread);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * kPerThread + i;
        committer.submit(message(n), answers.done(n));
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  committer.stop();

  std::set<std::int64_t> ids;
  for (int t = 0; t < kThreads; ++t) {
    std::int64_t previous = 0;
    for (int i = 0; i < kPerThread; ++i) {
      const auto n = static_cast<std::size_t>(t * kPerThread + i);
      EXPECT_EQ(answers.calls[n], 1);
      ASSERT_TRUE(answers.results[n]);
      EXPECT_FALSE(answers.results[n]->duplicate);
      EXPECT_GT(answers.results[n]->id, previous);  // one thread's messages stay in order
      previous = answers.results[n]->id;
      ids.insert(previous);
    }
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kThreads * kPerThread));
  const auto counters = committer.counters();
  EXPECT_EQ(counters.messages, static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_LE(counters.commits, counters.messages);
}

TEST_F(GroupCommitterTest, FailedAppendGivesEveryDoneTheError) {
  auto gated = std::make_unique<GatedStore>(sqlite());
  gated->fail_ = true;
  gated->release();
  GroupCommitter committer(std::move(gated));
  Answers answers(3);
  for (int n = 0; n < 3; ++n) {
    committer.submit(message(n), answers.done(n));
  }
  committer.stop();
  for (int n = 0; n < 3; ++n) {
    const auto& r = answers.results[static_cast<std::size_t>(n)];
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(StoreError::io));
    EXPECT_EQ(answers.calls[static_cast<std::size_t>(n)], 1);
  }
  EXPECT_EQ(committer.counters().commits, 0U);
  EXPECT_GE(committer.counters().failed_commits, 1U);
}

TEST_F(GroupCommitterTest, StopCommitsWhatWasSubmittedThenRefusesMore) {
  auto gated = std::make_unique<GatedStore>(sqlite());
  GatedStore* gate = gated.get();
  GroupCommitter committer(std::move(gated));
  Answers answers(52);
  committer.submit(message(0), answers.done(0));
  gate->wait_until_first_append();
  for (int n = 1; n <= 50; ++n) {
    committer.submit(message(n), answers.done(n));
  }
  std::thread stopper([&] { committer.stop(); });
  gate->release();
  stopper.join();
  for (int n = 0; n <= 50; ++n) {
    EXPECT_EQ(answers.calls[static_cast<std::size_t>(n)], 1);
    EXPECT_TRUE(answers.results[static_cast<std::size_t>(n)]);
  }
  committer.submit(message(51), answers.done(51));  // answered at once, on this thread
  EXPECT_EQ(answers.calls[51], 1);
  ASSERT_FALSE(answers.results[51]);
  EXPECT_EQ(answers.results[51].error(), make_error_code(StoreError::unavailable));
  committer.stop();  // again: nothing happens
}

TEST_F(GroupCommitterTest, StatusesAreWrittenByTheWriterThread) {
  auto gated = std::make_unique<GatedStore>(sqlite());
  GatedStore* gate = gated.get();
  gate->release();
  GroupCommitter committer(std::move(gated));
  Answers answers(2);
  committer.submit(message(0), answers.done(0));
  committer.submit(message(1), answers.done(1));
  answers.wait_for(2);
  ASSERT_TRUE(answers.results[0] && answers.results[1]);
  const std::int64_t first = answers.results[0]->id;
  const std::vector<StatusUpdate> updates = {{first, MessageStatus::processed, ""}};
  ASSERT_TRUE(committer.set_statuses(updates));
  EXPECT_EQ(gate->statuses_thread(), gate->append_thread());
  const std::vector<StatusUpdate> unknown = {{999999, MessageStatus::processed, ""}};
  const auto refused = committer.set_statuses(unknown);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), make_error_code(StoreError::not_found));
  committer.stop();
  const auto after_stop = committer.set_statuses(updates);
  ASSERT_FALSE(after_stop);
  EXPECT_EQ(after_stop.error(), make_error_code(StoreError::unavailable));

  auto reader = sqlite();
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->get(first)->message.status, MessageStatus::processed);
  EXPECT_EQ(reader->get(answers.results[1]->id)->message.status, MessageStatus::received);
}

TEST_F(GroupCommitterTest, DuplicateWindowComesFromTheOptions) {
  GroupCommitter committer(sqlite(), GroupCommitterOptions{16, 1000});
  Answers answers(3);
  committer.submit(message(7), answers.done(0));
  NewMessage again = message(7);
  again.received_at_us += 1000;
  committer.submit(again, answers.done(1));
  NewMessage late = message(7);
  late.received_at_us += 1001 + 1000;  // the first is now outside the window
  committer.submit(late, answers.done(2));
  committer.stop();
  ASSERT_TRUE(answers.results[0]);
  ASSERT_TRUE(answers.results[1]);
  ASSERT_TRUE(answers.results[2]);
  EXPECT_TRUE(answers.results[1]->duplicate);
  EXPECT_EQ(answers.results[1]->duplicate_of, answers.results[0]->id);
  EXPECT_FALSE(answers.results[2]->duplicate);
}

}  // namespace
}  // namespace hisbridge::store
