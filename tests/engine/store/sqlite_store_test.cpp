#include "engine/store/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "engine/store/sqlite_schema.hpp"

#include "tests/engine/store/store_test_env.hpp"

namespace hisbridge::store {
namespace {
namespace fs = std::filesystem;

class SqliteStoreTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
};

TEST_F(SqliteStoreTest, CreatesTheFileAndItsParentFolders) {
  const fs::path file = dir_.path() / "var" / "nested" / "hisbridge.db";
  auto store = SqliteStore::open(file);
  ASSERT_TRUE(store) << store.error().message();
  EXPECT_TRUE(fs::exists(file));
  EXPECT_EQ((*store)->file(), file);
}

TEST_F(SqliteStoreTest, UsesWalModeAndRecordsTheSchemaVersion) {
  const fs::path file = dir_.path() / "j.db";
  ASSERT_TRUE(SqliteStore::open(file));
  EXPECT_EQ(testing::sqlite_value(file, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(testing::sqlite_value(file, "SELECT version FROM hisbridge_schema"),
            std::to_string(sqlite::kSchemaVersion));
  EXPECT_EQ(testing::sqlite_value(file, "PRAGMA page_size"), "8192");
  // The indexes the hot paths rely on.
  for (const char* index : {"hisbridge_messages_duplicate", "hisbridge_messages_pending",
                            "hisbridge_messages_received_at", "hisbridge_messages_patient"}) {
    EXPECT_EQ(testing::sqlite_value(file, std::string("SELECT name FROM sqlite_master WHERE name = '") + index +
                            "'"),
              index);
  }
}

TEST_F(SqliteStoreTest, PageSizeOptionAppliesToNewFiles) {
  const fs::path file = dir_.path() / "j.db";
  SqliteOptions options;
  options.page_size = 16384;
  ASSERT_TRUE(SqliteStore::open(file, options));
  EXPECT_EQ(testing::sqlite_value(file, "PRAGMA page_size"), "16384");
}

TEST_F(SqliteStoreTest, PendingUsesItsPartialIndex) {
  const fs::path file = dir_.path() / "j.db";
  ASSERT_TRUE(SqliteStore::open(file));
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db,
                     "EXPLAIN QUERY PLAN SELECT id FROM hisbridge_messages WHERE source = 'lis' "
                     "AND status = 'received' AND id > 5 ORDER BY id LIMIT 10",
                     -1, &s, nullptr);
  std::string pending_plan;
  while (sqlite3_step(s) == SQLITE_ROW) {
    pending_plan += reinterpret_cast<const char*>(sqlite3_column_text(s, 3));
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  EXPECT_NE(pending_plan.find("hisbridge_messages_pending"), std::string::npos) << pending_plan;
}

TEST_F(SqliteStoreTest, RefusesADatabaseThatIsNotAJournal) {
  const fs::path file = dir_.path() / "his.db";
  testing::sqlite_value(file, "CREATE TABLE his_patient(patient_id TEXT PRIMARY KEY)");
  auto store = SqliteStore::open(file);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error(), make_error_code(StoreError::corrupt));
  EXPECT_EQ(testing::sqlite_value(file, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'hisbridge%'"), "0");
}

TEST_F(SqliteStoreTest, RefusesAFileThatIsNotSqlite) {
  const fs::path file = dir_.path() / "notes.txt";
  std::ofstream(file) << "This is not a database, but it is long enough to have a header. "
                         "0123456789012345678901234567890123456789012345678901234567890123\n";
  auto store = SqliteStore::open(file);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error(), make_error_code(StoreError::corrupt));
}

TEST_F(SqliteStoreTest, RefusesASchemaNewerThanThisBuild) {
  const fs::path file = dir_.path() / "j.db";
  ASSERT_TRUE(SqliteStore::open(file));
  testing::sqlite_value(file, "UPDATE hisbridge_schema SET version = 99");
  auto store = SqliteStore::open(file);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error(), make_error_code(StoreError::corrupt));
}

TEST_F(SqliteStoreTest, UnusableLocationIsUnavailable) {
  const fs::path blocker = dir_.path() / "file";
  std::ofstream(blocker) << "x";
  auto store = SqliteStore::open(blocker / "journal.db");  // a folder that cannot be made
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error(), make_error_code(StoreError::unavailable));
}

TEST_F(SqliteStoreTest, BatchIsOneTransaction) {
  const fs::path file = dir_.path() / "j.db";
  auto store = SqliteStore::open(file);
  ASSERT_TRUE(store);
  // A trigger makes the third row fail: nothing of the batch may remain.
  testing::sqlite_value(file,
      "CREATE TRIGGER fail_third BEFORE INSERT ON hisbridge_messages WHEN NEW.control_id = 'C3' "
      "BEGIN SELECT RAISE(ABORT, 'refused'); END");
  std::vector<NewMessage> batch(4);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i].control_id = "C" + std::to_string(i + 1);
    batch[i].raw = "MSH|";
    batch[i].source = "lis";
  }
  auto appended = (*store)->append(batch, 1000);
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error(), make_error_code(StoreError::constraint));
  EXPECT_EQ(testing::sqlite_value(file, "SELECT count(*) FROM hisbridge_messages"), "0");
  EXPECT_EQ((*store)->stats()->messages, 0);
  // The store goes on working after a failed batch.
  batch.pop_back();
  batch.pop_back();
  ASSERT_TRUE((*store)->append(batch, 1000));
  EXPECT_EQ((*store)->stats()->messages, 2);
}

// Messages of every shape: what compresses and what does not, bytes that are not text.
std::vector<NewMessage> assorted_messages() {
  std::vector<NewMessage> out;
  auto add = [&](std::string control_id, std::string raw) {
    NewMessage m;
    m.control_id = std::move(control_id);
    m.raw = std::move(raw);
    m.source = "lis";
    m.received_at_us = 1772673300LL * 1000 * 1000;
    out.push_back(std::move(m));
  };
  std::string oru = "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500+0700||ORU^R01|C1|P|2.5.1\r"
                    "PID|1||BN0000123^^^HOSP^MR||Nguy\xE1\xBB\x85n^V\xC4\x83n An\r";
  for (int i = 1; oru.size() < 2048; ++i) {
    oru += "OBX|" + std::to_string(i) + "|NM|718-7^Hemoglobin^LN||13.5|g/dL|12-16|N|||F\r";
  }
  add("C1", oru);
  add("C2", "MSH|^~\\&|tiny\r");
  std::string binary(4096, '\0');
  std::mt19937 random(42);  // no pattern to compress
  for (char& c : binary) {
    c = static_cast<char>(random() & 0xff);
  }
  add("C3", binary);
  std::string big(300000, '\0');
  big += "tail\xff";
  add("C4", big);
  return out;
}

TEST_F(SqliteStoreTest, CompressedRawComesBackByteForByte) {
  const fs::path file = dir_.path() / "j.db";
  SqliteOptions options;
  options.raw_compression_level = 1;
  auto store = SqliteStore::open(file, options);
  ASSERT_TRUE(store) << store.error().message();
  std::vector<NewMessage> batch = assorted_messages();
  // Half prepared on this thread as GroupCommitter does, half left to append().
  for (std::size_t i = 0; i < batch.size(); i += 2) {
    (*store)->prepare(batch[i]);
  }
  auto appended = (*store)->append(batch, 0);
  ASSERT_TRUE(appended) << appended.error().message();
  ASSERT_EQ(appended->size(), batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    SCOPED_TRACE(batch[i].control_id);
    auto got = (*store)->get((*appended)[i].id);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->message.raw, batch[i].raw);
  }
  // What compresses is kept compressed; what does not, as received.
  EXPECT_EQ(testing::sqlite_value(file, "SELECT group_concat(raw_format, ',') FROM (SELECT raw_format FROM "
                      "hisbridge_messages ORDER BY id)"),
            "1,0,0,1");
  EXPECT_LT(std::stoll(testing::sqlite_value(file, "SELECT length(raw) FROM hisbridge_messages WHERE "
                                 "control_id = 'C1'")),
            1400);
  // pending() and a second connection, which compresses nothing itself, read them too.
  auto reader = SqliteStore::open(file);
  ASSERT_TRUE(reader);
  auto pending = (*reader)->pending("lis", 0, 10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ((*pending)[i].message.raw, batch[i].raw);
  }
}

TEST_F(SqliteStoreTest, DamagedCompressedRawIsCorruptNotGarbage) {
  const fs::path file = dir_.path() / "j.db";
  SqliteOptions options;
  options.raw_compression_level = 1;
  auto store = SqliteStore::open(file, options);
  ASSERT_TRUE(store);
  auto appended = (*store)->append(std::vector<NewMessage>{assorted_messages().front()}, 0);
  ASSERT_TRUE(appended);
  testing::sqlite_value(file, "UPDATE hisbridge_messages SET raw = substr(raw, 1, 40)");
  auto got = (*store)->get((*appended)[0].id);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error(), make_error_code(StoreError::corrupt));
}

TEST_F(SqliteStoreTest, MigratesAVersion1Journal) {
  const fs::path file = dir_.path() / "j.db";
  ASSERT_TRUE(SqliteStore::open(file));
  // Back to what version 1 wrote: no raw_format column, no queues.
  testing::sqlite_value(file, "ALTER TABLE hisbridge_messages DROP COLUMN raw_format");
  testing::sqlite_value(file, "DROP TABLE hisbridge_deliveries");
  testing::sqlite_value(file, "DROP TABLE hisbridge_audit");
  testing::sqlite_value(file, "UPDATE hisbridge_schema SET version = 1");
  testing::sqlite_value(file,
      "INSERT INTO hisbridge_messages(received_at_us, updated_at_us, source, peer, control_id,"
      " sending_application, sending_facility, message_type, patient_id, status, error, raw)"
      " VALUES(1, 1, 'lis', 'p', 'OLD1', 'LIS', 'LAB', 'ORU^R01', '', 'received', '',"
      " CAST('MSH|^~\\&|old' AS BLOB))");
  SqliteOptions options;
  options.raw_compression_level = 1;
  auto store = SqliteStore::open(file, options);
  ASSERT_TRUE(store) << store.error().message();
  EXPECT_EQ(testing::sqlite_value(file, "SELECT version FROM hisbridge_schema"), "4");
  EXPECT_EQ(testing::sqlite_value(file, "SELECT count(*) FROM hisbridge_deliveries"), "0");
  EXPECT_EQ(testing::sqlite_value(file, "SELECT count(*) FROM hisbridge_audit"), "0");
  auto old = (*store)->pending("lis", 0, 10);
  ASSERT_TRUE(old);
  ASSERT_EQ(old->size(), 1U);
  EXPECT_EQ(old->front().message.raw, "MSH|^~\\&|old");
  auto appended = (*store)->append(std::vector<NewMessage>{assorted_messages().front()}, 0);
  ASSERT_TRUE(appended);
  EXPECT_EQ((*store)->get((*appended)[0].id)->message.raw, assorted_messages().front().raw);
}

// A journal of version 3 (before the audit log) gets it at the next open, its messages and
// queue entries untouched.
TEST_F(SqliteStoreTest, MigratesAVersion3Journal) {
  const fs::path file = dir_.path() / "j.db";
  {
    auto store = SqliteStore::open(file);
    ASSERT_TRUE(store);
    auto appended = (*store)->append(std::vector<NewMessage>{assorted_messages().front()}, 0);
    ASSERT_TRUE(appended);
    StatusUpdate done{(*appended)[0].id, MessageStatus::processed, {}, {{"c/d", ""}}};
    ASSERT_TRUE((*store)->set_statuses({&done, 1}));
  }
  testing::sqlite_value(file, "DROP TABLE hisbridge_audit");
  testing::sqlite_value(file, "UPDATE hisbridge_schema SET version = 3");
  auto store = SqliteStore::open(file);
  ASSERT_TRUE(store) << store.error().message();
  EXPECT_EQ(testing::sqlite_value(file, "SELECT version FROM hisbridge_schema"), "4");
  EXPECT_EQ(testing::sqlite_value(file, "SELECT count(*) FROM hisbridge_deliveries"), "1");
  ASSERT_TRUE((*store)->append_audit({"alice", "reprocess-messages", "{}"}));
  auto rows = (*store)->audit(10);
  ASSERT_TRUE(rows) << rows.error().message();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().actor, "alice");
}

}  // namespace
}  // namespace hisbridge::store
