// PostgreSQL-specific behaviour beyond the shared contract: connection strings, lost
// connections, and batches that fail or are large. Tests needing a server skip when
// HISBRIDGE_TEST_PG is unset.
#include "engine/store/postgres_store.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/engine/store/store_test_env.hpp"

namespace hisbridge::store {
namespace {

using testing::PgTestDatabase;

std::vector<NewMessage> batch_of(std::size_t n, std::size_t raw_bytes) {
  std::vector<NewMessage> batch(n);
  for (std::size_t i = 0; i < n; ++i) {
    batch[i].control_id = "C" + std::to_string(i + 1);
    batch[i].raw.assign(raw_bytes, static_cast<char>('a' + i % 26));
    batch[i].source = "lis";
    batch[i].received_at_us = static_cast<std::int64_t>(i);
  }
  return batch;
}

TEST(PostgresStoreTest, UnparsableConnectionStringIsBadConfig) {
  auto store = PostgresStore::open("host=localhost no_such_option=1");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error(), make_error_code(StoreError::bad_config));
}

TEST(PostgresStoreTest, UnreachableServerIsUnavailable) {
  PostgresOptions options;
  options.connect_timeout_s = 2;
  auto store = PostgresStore::open("postgresql://postgres@127.0.0.1:1/postgres", options);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error(), make_error_code(StoreError::unavailable));
}

class PostgresServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto server = testing::pg_test_server();
    if (!server) {
      GTEST_SKIP() << testing::kNoPgServer;
    }
    database_ = PgTestDatabase::create(*server);
    ASSERT_NE(database_, nullptr);
    auto opened = PostgresStore::open(database_->conninfo());
    ASSERT_TRUE(opened) << opened.error().message();
    store_ = std::move(*opened);
  }
  void TearDown() override { store_.reset(); }

  std::unique_ptr<PgTestDatabase> database_;
  std::unique_ptr<PostgresStore> store_;
};

TEST_F(PostgresServerTest, LostConnectionFailsOneCallAndTheNextReconnects) {
  const auto batch = batch_of(3, 100);
  ASSERT_TRUE(store_->append(batch, 0));
  ASSERT_TRUE(database_->admin(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
      database_->name() + "' AND application_name = 'hisbridge'"));

  auto failed = store_->append(batch, 0);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error(), make_error_code(StoreError::unavailable));

  auto stats = store_->stats();  // connects again
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->messages, 3);  // the failed batch left nothing behind
  auto again = store_->append(batch, 0);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(store_->stats()->messages, 6);
}

TEST_F(PostgresServerTest, FailedBatchLeavesNothingAndTheSessionGoesOn) {
  // A trigger refuses the third row of the batch.
  PGconn* conn = PQconnectdb(database_->conninfo().c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK);
  PGresult* r = PQexec(conn,
                       "CREATE FUNCTION refuse_c3() RETURNS trigger LANGUAGE plpgsql AS $$"
                       " BEGIN IF NEW.control_id = 'C3' THEN"
                       " RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation'; END IF;"
                       " RETURN NEW; END $$;"
                       " CREATE TRIGGER refuse_c3 BEFORE INSERT ON hisbridge_messages"
                       " FOR EACH ROW EXECUTE FUNCTION refuse_c3();");
  EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(conn);

  auto batch = batch_of(5, 100);
  auto failed = store_->append(batch, 0);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error(), make_error_code(StoreError::constraint));
  EXPECT_EQ(store_->stats()->messages, 0);

  batch.resize(2);
  auto done = store_->append(batch, 0);
  ASSERT_TRUE(done) << done.error().message();
  EXPECT_EQ(store_->stats()->messages, 2);
}

TEST_F(PostgresServerTest, LargeBatchGoesThroughOnePipeline) {
  // 3,000 messages of 4 KiB: far more than the socket buffers hold in either direction.
  const auto batch = batch_of(3000, 4096);
  auto appended = store_->append(batch, 60'000'000);
  ASSERT_TRUE(appended) << appended.error().message();
  ASSERT_EQ(appended->size(), batch.size());
  for (std::size_t i = 1; i < appended->size(); ++i) {
    EXPECT_GT((*appended)[i].id, (*appended)[i - 1].id);
  }
  auto last = store_->get(appended->back().id);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->message.raw, batch.back().raw);
  EXPECT_EQ(store_->stats()->received, 3000);
}

// A journal of version 1 (before the destination queues) gets them at the next open.
TEST_F(PostgresServerTest, MigratesAVersion1Journal) {
  store_.reset();
  PGconn* conn = PQconnectdb(database_->conninfo().c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  const auto run = [&](const char* sql) {
    PGresult* r = PQexec(conn, sql);
    const auto status = PQresultStatus(r);
    std::string value = PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    EXPECT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        << sql << ": " << PQerrorMessage(conn);
    return value;
  };
  run("DROP TABLE hisbridge_deliveries");
  run("DROP TABLE hisbridge_audit");
  run("UPDATE hisbridge_schema SET version = 1");
  auto reopened = PostgresStore::open(database_->conninfo());
  ASSERT_TRUE(reopened) << reopened.error().message();
  EXPECT_EQ(run("SELECT version FROM hisbridge_schema"), "3");
  EXPECT_EQ(run("SELECT count(*) FROM hisbridge_deliveries"), "0");
  EXPECT_EQ(run("SELECT count(*) FROM hisbridge_audit"), "0");
  PQfinish(conn);
  auto depths = (*reopened)->queue_depths();
  ASSERT_TRUE(depths) << depths.error().message();
  EXPECT_TRUE(depths->empty());
}

// A journal of version 2 (before the audit log) gets it at the next open.
TEST_F(PostgresServerTest, MigratesAVersion2Journal) {
  store_.reset();
  PGconn* conn = PQconnectdb(database_->conninfo().c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  const auto run = [&](const char* sql) {
    PGresult* r = PQexec(conn, sql);
    const auto status = PQresultStatus(r);
    std::string value = PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    EXPECT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        << sql << ": " << PQerrorMessage(conn);
    return value;
  };
  run("DROP TABLE hisbridge_audit");
  run("UPDATE hisbridge_schema SET version = 2");
  auto reopened = PostgresStore::open(database_->conninfo());
  ASSERT_TRUE(reopened) << reopened.error().message();
  EXPECT_EQ(run("SELECT version FROM hisbridge_schema"), "3");
  PQfinish(conn);
  ASSERT_TRUE((*reopened)->append_audit({"alice", "reprocess-messages", "{}"}));
  auto rows = (*reopened)->audit(10);
  ASSERT_TRUE(rows) << rows.error().message();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().action, "reprocess-messages");
}

}  // namespace
}  // namespace hisbridge::store
