// What only the PostgreSQL writer does: a lost connection, lock_timeout, connection strings.
// Tests that need a server skip when HISBRIDGE_TEST_PG is unset.
#include "adapters/hisdb/postgres_his_writer.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <string>
#include <vector>

#include "tests/adapters/hisdb/hisdb_test_env.hpp"

namespace hisbridge::hisdb {
namespace {

using testing::Cell;
using testing::record;
using testing::text;

mapping::Record patient(const std::string& id) {
  return record("his_patient", {{"patient_id", text(id)}, {"full_name", text("Lê Văn An")}});
}

class PostgresHisWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto server = testing::pg_test_server();
    if (!server) {
      GTEST_SKIP() << testing::kNoPgServer;
    }
    db_ = testing::make_pg_database(*server);
    ASSERT_NE(db_, nullptr) << "cannot create a schema on HISBRIDGE_TEST_PG";
    options_ = db_->options();
    // A name of its own, so the test can find this writer's session and no other.
    options_.application_name = options_.schema;
  }

  std::unique_ptr<testing::TestDatabase> db_;
  HisWriterOptions options_;
};

TEST_F(PostgresHisWriterTest, LostConnectionIsUnavailableThenTheNextWriteReconnects) {
  auto writer = PostgresHisWriter::open(db_->location(), options_);
  ASSERT_TRUE(writer) << writer.error().message();
  ASSERT_TRUE((*writer)->write(std::vector{patient("P1")}));

  const auto killed = db_->query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" +
      options_.application_name + "'");
  ASSERT_EQ(killed.size(), 1u);
  const auto lost = (*writer)->write(std::vector{patient("P2")});
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error(), HisDbError::unavailable);
  EXPECT_TRUE(is_retryable(lost.error()));

  ASSERT_TRUE((*writer)->write(std::vector{patient("P2")}));
  EXPECT_EQ(db_->query("SELECT string_agg(patient_id, ',' ORDER BY patient_id) FROM his_patient"),
            (std::vector<std::vector<Cell>>{{Cell("P1,P2")}}));
}

TEST_F(PostgresHisWriterTest, LockHeldLongerThanTheBusyTimeoutIsBusy) {
  options_.busy_timeout_ms = 20;
  auto writer = PostgresHisWriter::open(db_->location(), options_);
  ASSERT_TRUE(writer) << writer.error().message();
  ASSERT_TRUE(db_->execute("BEGIN"));
  ASSERT_TRUE(db_->execute("LOCK TABLE his_patient IN EXCLUSIVE MODE"));
  const auto blocked = (*writer)->write(std::vector{patient("P1")});
  ASSERT_TRUE(db_->execute("ROLLBACK"));
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error(), HisDbError::busy);
  ASSERT_TRUE((*writer)->write(std::vector{patient("P1")}));
}

TEST_F(PostgresHisWriterTest, CreatesTheSchemaItIsGiven) {
  options_.schema += "_own";
  const std::string schema = options_.schema;
  {
    auto writer = PostgresHisWriter::open(db_->location(), options_);
    ASSERT_TRUE(writer) << writer.error().message();
    ASSERT_TRUE((*writer)->write(std::vector{patient("P1")}));
  }
  EXPECT_EQ(db_->query("SELECT patient_id FROM " + schema + ".his_patient"),
            (std::vector<std::vector<Cell>>{{Cell("P1")}}));
  EXPECT_EQ(db_->query("SELECT data_type FROM information_schema.columns WHERE table_schema = '" +
                       schema + "' AND table_name = 'his_result' AND column_name = 'seq'"),
            (std::vector<std::vector<Cell>>{{Cell("integer")}}));
  EXPECT_TRUE(db_->execute("DROP SCHEMA " + schema + " CASCADE"));
}

TEST(PostgresHisWriterOpenTest, MalformedConnectionStringIsBadConfig) {
  const auto opened = PostgresHisWriter::open("postgresql://host:notaport:x/db?=");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error(), HisDbError::bad_config);
}

TEST(PostgresHisWriterOpenTest, NoServerIsUnavailable) {
  // Port 1 on the loopback address: nothing listens there, the connection is refused at once.
  HisWriterOptions options;
  options.connect_timeout_s = 2;
  const auto opened = PostgresHisWriter::open("postgresql://postgres@127.0.0.1:1/x", options);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error(), HisDbError::unavailable);
  EXPECT_TRUE(is_retryable(opened.error()));
}

}  // namespace
}  // namespace hisbridge::hisdb
