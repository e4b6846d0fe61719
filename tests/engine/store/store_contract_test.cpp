// The Store contract, run against every implementation: SqliteStore on a temporary file always,
// PostgresStore when HISBRIDGE_TEST_PG names a server (each test gets a fresh database).
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <optional>
#include <string>
#include <thread>
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

class StoreContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    testing::open_test_location(GetParam(), place_);
    if (place_.skipped) {
      GTEST_SKIP() << testing::kNoPgServer;
    }
    ASSERT_FALSE(place_.location.empty()) << "cannot create a database on HISBRIDGE_TEST_PG";
    store_ = open();
    ASSERT_NE(store_, nullptr);
  }

  void TearDown() override { store_.reset(); }

  std::unique_ptr<Store> open() {
    auto opened = open_store(place_.location);
    EXPECT_TRUE(opened) << (opened ? "" : opened.error().message());
    return opened ? std::move(*opened) : nullptr;
  }

  std::vector<Appended> append(std::vector<NewMessage> batch, std::int64_t window = kWindow) {
    auto appended = store_->append(batch, window);
    EXPECT_TRUE(appended) << (appended ? "" : appended.error().message());
    return appended ? *appended : std::vector<Appended>{};
  }

  std::int64_t append_one(NewMessage m, std::int64_t window = kWindow) {
    const auto out = append({std::move(m)}, window);
    return out.size() == 1 ? out[0].id : 0;
  }

  StoredMessage get(std::int64_t id) {
    auto got = store_->get(id);
    EXPECT_TRUE(got) << (got ? "" : got.error().message());
    return got ? *got : StoredMessage{};
  }

  std::vector<std::int64_t> ids(const Result<std::vector<StoredMessage>>& rows) {
    EXPECT_TRUE(rows) << (rows ? "" : rows.error().message());
    std::vector<std::int64_t> out;
    for (const auto& r : rows ? *rows : std::vector<StoredMessage>{}) {
      out.push_back(r.id);
    }
    return out;
  }

  testing::TestLocation place_;
  std::unique_ptr<Store> store_;
};

void expect_same(const NewMessage& a, const NewMessage& b) {
  EXPECT_EQ(a.raw, b.raw);
  EXPECT_EQ(a.received_at_us, b.received_at_us);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.peer, b.peer);
  EXPECT_EQ(a.control_id, b.control_id);
  EXPECT_EQ(a.sending_application, b.sending_application);
  EXPECT_EQ(a.sending_facility, b.sending_facility);
  EXPECT_EQ(a.message_type, b.message_type);
  EXPECT_EQ(a.patient_id, b.patient_id);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.error, b.error);
}

TEST_P(StoreContractTest, RawBytesAndEveryFieldRoundTripExactly) {
  std::vector<NewMessage> batch;
  NewMessage zeros = test_message("C1", kT0);
  zeros.raw = std::string("MSH|^~\\&|\0|\r\0\0PID|1\r\n", 20);
  batch.push_back(zeros);
  NewMessage vietnamese = test_message("C2", kT0 + 1);
  vietnamese.raw = "MSH|^~\\&|LIS|LAB\rPID|1||P9||Nguyễn^Văn Đức||19800101|M\r";
  vietnamese.patient_id = "BN-Đà Nẵng-01";
  vietnamese.source = "xét nghiệm";
  vietnamese.error = "lỗi";
  batch.push_back(vietnamese);
  NewMessage every_byte = test_message("C3", kT0 + 2);
  every_byte.raw.clear();
  for (int i = 0; i < 256 * 4; ++i) {
    every_byte.raw.push_back(static_cast<char>(i % 256));
  }
  batch.push_back(every_byte);
  NewMessage big = test_message("C4", kT0 + 3);
  big.raw.resize(1 << 20);
  for (std::size_t i = 0; i < big.raw.size(); ++i) {
    big.raw[i] = static_cast<char>((i * 2654435761U) >> 13);
  }
  batch.push_back(big);
  NewMessage empty = test_message("", kT0 + 4);
  empty.raw.clear();
  empty.status = MessageStatus::rejected;
  empty.error = "empty message";
  batch.push_back(empty);

  const auto appended = append(batch);
  ASSERT_EQ(appended.size(), batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_FALSE(appended[i].duplicate);
    const StoredMessage stored = get(appended[i].id);
    EXPECT_EQ(stored.id, appended[i].id);
    EXPECT_GT(stored.updated_at_us, 0);
    EXPECT_EQ(stored.duplicate_of, 0);
    expect_same(stored.message, batch[i]);
  }
}

TEST_P(StoreContractTest, IdsGrowInAppendOrderAcrossBatches) {
  const auto first = append({test_message("A", kT0), test_message("B", kT0), test_message("C", kT0)});
  const auto second = append({test_message("D", kT0 - kMinute), test_message("E", kT0)});
  ASSERT_EQ(first.size(), 3U);
  ASSERT_EQ(second.size(), 2U);
  std::vector<std::int64_t> all;
  for (const auto& a : first) {
    all.push_back(a.id);
  }
  for (const auto& a : second) {
    all.push_back(a.id);
  }
  for (std::size_t i = 1; i < all.size(); ++i) {
    EXPECT_GT(all[i], all[i - 1]);
  }
  EXPECT_EQ(get(all[3]).message.control_id, "D");
}

TEST_P(StoreContractTest, EmptyBatchStoresNothing) {
  const auto appended = store_->append({}, kWindow);
  ASSERT_TRUE(appended);
  EXPECT_TRUE(appended->empty());
  EXPECT_EQ(store_->stats()->messages, 0);
}

TEST_P(StoreContractTest, RepeatWithinTheWindowIsADuplicateOfTheFirst) {
  const std::int64_t first = append_one(test_message("C1", kT0));
  const auto again = append({test_message("C1", kT0 + kMinute)});
  ASSERT_EQ(again.size(), 1U);
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_EQ(again[0].duplicate_of, first);
  const auto third = append({test_message("C1", kT0 + kWindow)});  // window edge: still inside
  ASSERT_EQ(third.size(), 1U);
  EXPECT_TRUE(third[0].duplicate);
  EXPECT_EQ(third[0].duplicate_of, first);  // the first, not the previous duplicate

  const StoredMessage stored = get(again[0].id);
  EXPECT_EQ(stored.message.status, MessageStatus::duplicate);
  EXPECT_EQ(stored.duplicate_of, first);
  EXPECT_EQ(stored.message.raw, test_message("C1", 0).raw);
}

TEST_P(StoreContractTest, SameKeyWithOtherBytesIsANewMessageThatReusesTheKey) {
  // A sender whose control id counter restarted: the same key, another result.
  const std::int64_t first = append_one(test_message("C1", kT0));
  NewMessage other = test_message("C1", kT0 + kMinute);
  other.raw += "OBX|1|NM|GLU^Glucose||7.9|mmol/L\r";
  NewMessage resent = other;  // and that one sent again, byte for byte
  resent.received_at_us += kMinute;
  const auto out = append({other, test_message("C1", kT0 + 2 * kMinute)});
  ASSERT_EQ(out.size(), 2U);
  EXPECT_FALSE(out[0].duplicate);
  EXPECT_EQ(out[0].reuses_key_of, first);
  EXPECT_EQ(get(out[0].id).message.status, MessageStatus::received);
  EXPECT_EQ(get(out[0].id).message.raw, other.raw);
  EXPECT_TRUE(out[1].duplicate);  // the first message's bytes again
  EXPECT_EQ(out[1].duplicate_of, first);
  EXPECT_EQ(out[1].reuses_key_of, 0);
  const auto again = append({resent});
  ASSERT_EQ(again.size(), 1U);
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_EQ(again[0].duplicate_of, out[0].id);  // the one with its bytes, not the first
  EXPECT_EQ(again[0].reuses_key_of, 0);
  EXPECT_EQ(store_->stats()->received, 2);
  EXPECT_EQ(store_->stats()->duplicate, 2);
}

TEST_P(StoreContractTest, RepeatOutsideTheWindowIsNew) {
  append_one(test_message("C1", kT0));
  const auto later = append({test_message("C1", kT0 + kWindow + 1)});
  ASSERT_EQ(later.size(), 1U);
  EXPECT_FALSE(later[0].duplicate);
  EXPECT_EQ(get(later[0].id).message.status, MessageStatus::received);
  // An original received after the message does not make it a duplicate.
  const auto earlier = append({test_message("C2", kT0 + kMinute), test_message("C2", kT0)});
  ASSERT_EQ(earlier.size(), 2U);
  EXPECT_FALSE(earlier[1].duplicate);
}

TEST_P(StoreContractTest, RepeatsWithinOneBatchAreDuplicates) {
  const auto out = append({test_message("C1", kT0), test_message("C2", kT0), test_message("C1", kT0 + 1),
                           test_message("C1", kT0 + 2)});
  ASSERT_EQ(out.size(), 4U);
  EXPECT_FALSE(out[0].duplicate);
  EXPECT_FALSE(out[1].duplicate);
  EXPECT_TRUE(out[2].duplicate);
  EXPECT_EQ(out[2].duplicate_of, out[0].id);
  EXPECT_TRUE(out[3].duplicate);
  EXPECT_EQ(out[3].duplicate_of, out[0].id);
}

TEST_P(StoreContractTest, EachResultBelongsToItsMessageInALongMixedBatch) {
  // Every 7th message repeats the control id of the one 5 before it; some are rejected.
  std::vector<NewMessage> batch;
  for (int i = 0; i < 60; ++i) {
    const int key = i % 7 == 6 ? i - 5 : i;
    NewMessage m = test_message("K" + std::to_string(key), kT0 + i);
    m.raw += "NTE|" + std::to_string(key) + "\r";  // a repeat is the same bytes
    if (i % 11 == 3) {
      m.status = MessageStatus::rejected;
    }
    batch.push_back(std::move(m));
  }
  const auto out = append(batch);
  ASSERT_EQ(out.size(), batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    SCOPED_TRACE(i);
    if (i > 0) {
      EXPECT_GT(out[i].id, out[i - 1].id);
    }
    const StoredMessage stored = get(out[i].id);
    EXPECT_EQ(stored.message.raw, batch[i].raw);
    const std::size_t key = i % 7 == 6 ? i - 5 : i;
    const bool original_counts = key != i && batch[key].status == MessageStatus::received;
    const bool expect_duplicate = original_counts && batch[i].status == MessageStatus::received;
    EXPECT_EQ(out[i].duplicate, expect_duplicate);
    EXPECT_EQ(out[i].duplicate_of, expect_duplicate ? out[key].id : 0);
  }
}

TEST_P(StoreContractTest, DuplicateKeyIsApplicationFacilityAndControlId) {
  append_one(test_message("C1", kT0));
  NewMessage other_app = test_message("C1", kT0 + 1);
  other_app.sending_application = "RIS";
  NewMessage other_facility = test_message("C1", kT0 + 1);
  other_facility.sending_facility = "LAB2";
  NewMessage other_source = test_message("C1", kT0 + 1, "ris");  // same sender on another port
  const auto out = append({other_app, other_facility, other_source});
  ASSERT_EQ(out.size(), 3U);
  EXPECT_FALSE(out[0].duplicate);
  EXPECT_FALSE(out[1].duplicate);
  EXPECT_TRUE(out[2].duplicate);
}

TEST_P(StoreContractTest, EmptyControlIdIsNeverADuplicate) {
  const auto out = append({test_message("", kT0), test_message("", kT0), test_message("", kT0 + 1)});
  ASSERT_EQ(out.size(), 3U);
  for (const auto& a : out) {
    EXPECT_FALSE(a.duplicate);
  }
}

TEST_P(StoreContractTest, RejectedIsNeitherDuplicateNorOriginal) {
  NewMessage bad = test_message("C1", kT0);
  bad.status = MessageStatus::rejected;
  bad.error = "missing MSH";
  const auto out = append({bad, bad, test_message("C1", kT0 + 1), bad});
  ASSERT_EQ(out.size(), 4U);
  EXPECT_FALSE(out[0].duplicate);
  EXPECT_FALSE(out[1].duplicate);
  EXPECT_FALSE(out[2].duplicate);  // the rejected ones do not count as its original
  EXPECT_FALSE(out[3].duplicate);
  EXPECT_EQ(get(out[1].id).message.status, MessageStatus::rejected);
}

TEST_P(StoreContractTest, WindowOfZeroTurnsTheCheckOff) {
  const auto out = append({test_message("C1", kT0), test_message("C1", kT0)}, 0);
  ASSERT_EQ(out.size(), 2U);
  EXPECT_FALSE(out[1].duplicate);
}

TEST_P(StoreContractTest, PendingGivesReceivedOfOneSourceInIdOrder) {
  NewMessage rejected = test_message("R", kT0);
  rejected.status = MessageStatus::rejected;
  const auto out = append({test_message("A", kT0), test_message("B", kT0, "ris"), test_message("C", kT0 + 5),
                           rejected, test_message("A", kT0 + 1), test_message("D", kT0 - 5)});
  ASSERT_EQ(out.size(), 6U);
  EXPECT_EQ(ids(store_->pending("lis", 0, 100)),
            (std::vector<std::int64_t>{out[0].id, out[2].id, out[5].id}));
  EXPECT_EQ(ids(store_->pending("ris", 0, 100)), std::vector<std::int64_t>{out[1].id});
  EXPECT_TRUE(ids(store_->pending("file", 0, 100)).empty());

  // Paging with after_id.
  EXPECT_EQ(ids(store_->pending("lis", 0, 2)), (std::vector<std::int64_t>{out[0].id, out[2].id}));
  EXPECT_EQ(ids(store_->pending("lis", out[2].id, 2)), std::vector<std::int64_t>{out[5].id});
  EXPECT_TRUE(ids(store_->pending("lis", out[5].id, 2)).empty());

  const auto rows = store_->pending("lis", 0, 1);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1U);
  expect_same(rows->front().message, test_message("A", kT0));
}

TEST_P(StoreContractTest, SetStatusMovesMessagesOutOfPending) {
  const auto out = append({test_message("A", kT0), test_message("B", kT0), test_message("C", kT0)});
  ASSERT_EQ(out.size(), 3U);
  ASSERT_TRUE(store_->set_status(out[0].id, MessageStatus::processed, ""));
  ASSERT_TRUE(store_->set_status(out[1].id, MessageStatus::error, "mapping: PID-3 empty"));
  EXPECT_EQ(ids(store_->pending("lis", 0, 10)), std::vector<std::int64_t>{out[2].id});

  const StoredMessage failed = get(out[1].id);
  EXPECT_EQ(failed.message.status, MessageStatus::error);
  EXPECT_EQ(failed.message.error, "mapping: PID-3 empty");
  EXPECT_GE(failed.updated_at_us, get(out[2].id).updated_at_us);

  // Replay: back to received, and pending again.
  ASSERT_TRUE(store_->set_status(out[1].id, MessageStatus::received, ""));
  EXPECT_EQ(ids(store_->pending("lis", 0, 10)), (std::vector<std::int64_t>{out[1].id, out[2].id}));
  EXPECT_EQ(get(out[1].id).message.error, "");
}

TEST_P(StoreContractTest, UnknownIdIsNotFound) {
  append_one(test_message("A", kT0));
  const auto got = store_->get(999999);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error(), make_error_code(StoreError::not_found));
  const auto set = store_->set_status(999999, MessageStatus::processed, "");
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error(), make_error_code(StoreError::not_found));
  EXPECT_EQ(store_->stats()->processed, 0);
}

TEST_P(StoreContractTest, SetStatusesChangesABatchAndTheCounters) {
  const auto out = append({test_message("A", kT0), test_message("B", kT0), test_message("C", kT0),
                           test_message("D", kT0)});
  ASSERT_EQ(out.size(), 4U);
  const std::vector<StatusUpdate> updates = {
      {out[0].id, MessageStatus::processed, ""},
      {out[2].id, MessageStatus::error, "mapping: PID-3 empty \xff"},
      {out[3].id, MessageStatus::error, "first"},
      {out[3].id, MessageStatus::processed, ""},  // the last update of an id wins
  };
  ASSERT_TRUE(store_->set_statuses(updates));
  EXPECT_EQ(ids(store_->pending("lis", 0, 10)), std::vector<std::int64_t>{out[1].id});
  EXPECT_EQ(get(out[0].id).message.status, MessageStatus::processed);
  const StoredMessage failed = get(out[2].id);
  EXPECT_EQ(failed.message.status, MessageStatus::error);
  EXPECT_EQ(failed.message.error, "mapping: PID-3 empty \xEF\xBF\xBD");
  EXPECT_GE(failed.updated_at_us, get(out[1].id).updated_at_us);
  EXPECT_EQ(get(out[3].id).message.status, MessageStatus::processed);
  EXPECT_EQ(get(out[3].id).message.error, "");
  const auto stats = store_->stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->received, 1);
  EXPECT_EQ(stats->processed, 2);
  EXPECT_EQ(stats->error, 1);
  EXPECT_EQ(stats->messages, 4);

  // Back to received (a replay), and an empty batch changes nothing.
  ASSERT_TRUE(store_->set_statuses(std::vector<StatusUpdate>{{out[0].id, MessageStatus::received, ""}}));
  ASSERT_TRUE(store_->set_statuses({}));
  EXPECT_EQ(ids(store_->pending("lis", 0, 10)), (std::vector<std::int64_t>{out[0].id, out[1].id}));
  EXPECT_EQ(store_->stats()->received, 2);
}

TEST_P(StoreContractTest, AppendUnsyncedThenSyncKeepsTheBatchesAcrossAReopen) {
  auto first = store_->append_unsynced(std::vector<NewMessage>{test_message("A", kT0)}, kWindow);
  ASSERT_TRUE(first) << first.error().message();
  ASSERT_EQ(first->size(), 1U);
  // The sync runs on another thread while the next batch is appended: the one call that may.
  Result<void> synced;
  std::thread syncer([&] { synced = store_->sync(); });
  auto second = store_->append_unsynced(
      std::vector<NewMessage>{test_message("B", kT0 + 1), test_message("A", kT0 + 2)}, kWindow);
  syncer.join();
  ASSERT_TRUE(synced) << synced.error().message();
  ASSERT_TRUE(second) << second.error().message();
  ASSERT_EQ(second->size(), 2U);
  EXPECT_GT((*second)[0].id, (*first)[0].id);
  EXPECT_TRUE((*second)[1].duplicate);
  EXPECT_EQ((*second)[1].duplicate_of, (*first)[0].id);
  ASSERT_TRUE(store_->sync());

  store_.reset();
  store_ = open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(get((*first)[0].id).message.control_id, "A");
  EXPECT_EQ(get((*second)[0].id).message.control_id, "B");
  EXPECT_EQ(get((*second)[1].id).message.status, MessageStatus::duplicate);
  EXPECT_EQ(store_->stats()->messages, 3);
}

TEST_P(StoreContractTest, SetStatusesWithAnUnknownIdChangesNothing) {
  const auto out = append({test_message("A", kT0), test_message("B", kT0)});
  ASSERT_EQ(out.size(), 2U);
  const std::vector<StatusUpdate> updates = {{out[0].id, MessageStatus::processed, ""},
                                             {999999, MessageStatus::processed, ""},
                                             {out[1].id, MessageStatus::error, "x"}};
  const auto set = store_->set_statuses(updates);
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error(), make_error_code(StoreError::not_found));
  EXPECT_EQ(ids(store_->pending("lis", 0, 10)), (std::vector<std::int64_t>{out[0].id, out[1].id}));
  EXPECT_EQ(store_->stats()->received, 2);
  EXPECT_EQ(store_->stats()->processed, 0);
  // The store goes on working, and appends after it are durable as before.
  ASSERT_TRUE(store_->set_statuses(std::vector<StatusUpdate>{{out[1].id, MessageStatus::processed, ""}}));
  const std::int64_t later = append_one(test_message("C", kT0));
  store_.reset();
  store_ = open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(get(out[1].id).message.status, MessageStatus::processed);
  EXPECT_EQ(get(later).message.control_id, "C");
}

class StoreFindTest : public StoreContractTest {
 protected:
  void SetUp() override {
    StoreContractTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    std::vector<NewMessage> batch;
    auto add = [&](std::string cid, std::int64_t t, std::string type, std::string pid,
                   std::string source) {
      NewMessage m = test_message(std::move(cid), t, std::move(source));
      m.message_type = std::move(type);
      m.patient_id = std::move(pid);
      batch.push_back(std::move(m));
    };
    add("A", kT0 + 1000, "ORU^R01", "P1", "lis");
    add("B", kT0 + 2000, "ADT^A01", "P2", "ris");
    add("C", kT0 + 3000, "ORU^R30", "P1", "lis");
    add("D", kT0 + 4000, "ORUX^R01", "P3", "ris");
    add("E", kT0 + 5000, "ORU", "P1", "lis");
    batch[2].status = MessageStatus::rejected;
    const auto out = append(batch);
    ASSERT_EQ(out.size(), 5U);
    for (const auto& a : out) {
      id_.push_back(a.id);
    }
  }

  std::vector<std::int64_t> find(const MessageQuery& q) { return ids(store_->find(q)); }
  std::vector<std::int64_t> id_;
};

TEST_P(StoreFindTest, EveryCriterionNarrowsAndResultsAreNewestFirst) {
  MessageQuery q;
  EXPECT_EQ(find(q), (std::vector<std::int64_t>{id_[4], id_[3], id_[2], id_[1], id_[0]}));

  q = {};
  q.from_us = kT0 + 2000;
  q.to_us = kT0 + 4000;  // from inclusive, to exclusive
  EXPECT_EQ(find(q), (std::vector<std::int64_t>{id_[2], id_[1]}));

  q = {};
  q.message_type = "ORU^R01";
  EXPECT_EQ(find(q), std::vector<std::int64_t>{id_[0]});
  q.message_type = "ORU";  // every trigger, but not ORUX
  EXPECT_EQ(find(q), (std::vector<std::int64_t>{id_[4], id_[2], id_[0]}));

  q = {};
  q.control_id = "B";
  EXPECT_EQ(find(q), std::vector<std::int64_t>{id_[1]});

  q = {};
  q.patient_id = "P1";
  EXPECT_EQ(find(q), (std::vector<std::int64_t>{id_[4], id_[2], id_[0]}));

  q = {};
  q.status = MessageStatus::rejected;
  EXPECT_EQ(find(q), std::vector<std::int64_t>{id_[2]});

  q = {};
  q.source = "ris";
  EXPECT_EQ(find(q), (std::vector<std::int64_t>{id_[3], id_[1]}));

  q = {};
  q.patient_id = "P1";
  q.status = MessageStatus::received;
  q.source = "lis";
  EXPECT_EQ(find(q), (std::vector<std::int64_t>{id_[4], id_[0]}));

  q = {};
  q.control_id = "nothing";
  EXPECT_TRUE(find(q).empty());
}

TEST_P(StoreFindTest, PagesWithLimitAndBeforeId) {
  MessageQuery q;
  q.limit = 2;
  EXPECT_EQ(find(q), (std::vector<std::int64_t>{id_[4], id_[3]}));
  q.before_id = id_[3];
  EXPECT_EQ(find(q), (std::vector<std::int64_t>{id_[2], id_[1]}));
  q.before_id = id_[1];
  EXPECT_EQ(find(q), std::vector<std::int64_t>{id_[0]});
  q.limit = 0;
  EXPECT_TRUE(find(q).empty());
}

TEST_P(StoreFindTest, FoundRowsCarryTheWholeMessage) {
  MessageQuery q;
  q.control_id = "D";
  const auto rows = store_->find(q);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1U);
  EXPECT_EQ(rows->front().message.message_type, "ORUX^R01");
  EXPECT_EQ(rows->front().message.raw, test_message("D", 0).raw);
  EXPECT_EQ(rows->front().message.received_at_us, kT0 + 4000);
}

TEST_P(StoreContractTest, StatsCountEachStatus) {
  NewMessage rejected = test_message("R", kT0);
  rejected.status = MessageStatus::rejected;
  const auto out = append({test_message("A", kT0), test_message("A", kT0 + 1), test_message("B", kT0),
                           test_message("C", kT0), rejected});
  ASSERT_EQ(out.size(), 5U);
  ASSERT_TRUE(store_->set_status(out[2].id, MessageStatus::processed, ""));
  ASSERT_TRUE(store_->set_status(out[3].id, MessageStatus::error, "x"));
  ASSERT_TRUE(store_->set_status(out[3].id, MessageStatus::error, "again"));  // no change
  const auto stats = store_->stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->messages, 5);
  EXPECT_EQ(stats->received, 1);
  EXPECT_EQ(stats->duplicate, 1);
  EXPECT_EQ(stats->processed, 1);
  EXPECT_EQ(stats->error, 1);
  EXPECT_EQ(stats->rejected, 1);
  EXPECT_GT(stats->size_bytes, 0);
}

TEST_P(StoreContractTest, ReopenedStoreKeepsEverything) {
  NewMessage big = test_message("B", kT0 + 1);
  big.raw.assign(300000, '\0');
  big.raw += "tail";
  const auto out = append({test_message("A", kT0), big, test_message("A", kT0 + 2)});
  ASSERT_EQ(out.size(), 3U);
  ASSERT_TRUE(store_->set_status(out[0].id, MessageStatus::processed, ""));

  store_.reset();
  store_ = open();
  ASSERT_NE(store_, nullptr);
  expect_same(get(out[1].id).message, big);
  EXPECT_EQ(get(out[0].id).message.status, MessageStatus::processed);
  EXPECT_EQ(get(out[2].id).duplicate_of, out[0].id);
  EXPECT_EQ(ids(store_->pending("lis", 0, 10)), std::vector<std::int64_t>{out[1].id});
  EXPECT_EQ(store_->stats()->messages, 3);
  // Ids go on growing, and the duplicate check still sees the old rows.
  const auto more = append({test_message("A", kT0 + 3)});
  ASSERT_EQ(more.size(), 1U);
  EXPECT_GT(more[0].id, out[2].id);
  EXPECT_EQ(more[0].duplicate_of, out[0].id);
}

TEST_P(StoreContractTest, TwoStoresOnOneDatabaseSeeEachOthersCommits) {
  auto reader = open();
  ASSERT_NE(reader, nullptr);
  const std::int64_t id = append_one(test_message("A", kT0));
  const auto got = reader->get(id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->message.control_id, "A");
}

TEST_P(StoreContractTest, HeaderFieldsThatAreNotUtf8AreStoredCleaned) {
  NewMessage m = test_message("C\xff" "1", kT0);
  m.patient_id = std::string("P\0" "1", 3);
  m.sending_facility = "L\xe1" "B";  // Windows-1258 'á'
  m.raw = "MSH|^~\\&|LIS|L\xe1" "B|\r";
  const auto out = append({m, m});
  ASSERT_EQ(out.size(), 2U);
  EXPECT_TRUE(out[1].duplicate);  // cleaned the same way each time
  const StoredMessage stored = get(out[0].id);
  EXPECT_EQ(stored.message.raw, m.raw);  // raw stays exact
  EXPECT_EQ(stored.message.control_id, "C\xEF\xBF\xBD" "1");
  EXPECT_EQ(stored.message.patient_id, "P\xEF\xBF\xBD" "1");
  EXPECT_EQ(stored.message.sending_facility, "L\xEF\xBF\xBD" "B");
  MessageQuery q;
  q.control_id = "C\xff" "1";  // a query with the same bytes finds it
  EXPECT_EQ(ids(store_->find(q)), (std::vector<std::int64_t>{out[1].id, out[0].id}));
}

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::sqlite ? "Sqlite" : "Postgres";
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContractTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name);
INSTANTIATE_TEST_SUITE_P(Stores, StoreFindTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name);

}  // namespace
}  // namespace hisbridge::store
