#include "engine/store/open_store.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/engine/store/store_test_env.hpp"

namespace hisbridge::store {
namespace {

TEST(OpenStoreTest, LocationsNameTheirKind) {
  for (const char* sqlite : {"var/hisbridge.db", "/srv/hisbridge/journal.db", "journal",
                             "sqlite:var/hisbridge.db", "sqlite:///srv/journal.db",
                             "sqlite://var/journal.db", "./a:b.db", "var/a=b.db", "c:journal.db"}) {
    auto kind = store_kind(sqlite);
    ASSERT_TRUE(kind) << sqlite;
    EXPECT_EQ(*kind, StoreKind::sqlite) << sqlite;
  }
  for (const char* postgres :
       {"postgresql://hisbridge@db.hospital.local:5432/hisbridge", "postgres://db/hisbridge",
        "host=db.hospital.local dbname=hisbridge user=hisbridge", "dbname=hisbridge",
        "user=hisbridge host=/var/run/postgresql", "hostaddr=10.0.0.5 dbname=x"}) {
    auto kind = store_kind(postgres);
    ASSERT_TRUE(kind) << postgres;
    EXPECT_EQ(*kind, StoreKind::postgres) << postgres;
  }
}

TEST(OpenStoreTest, AnythingElseIsBadConfig) {
  for (const char* bad : {"", "sqlite:", "sqlite://", "mysql://db/hisbridge",
                          "mssql:server=x", "file:journal.db", "sslmode=require host=db",
                          "jdbc:postgresql://db/x", "var/journal\n.db"}) {
    auto kind = store_kind(bad);
    ASSERT_FALSE(kind) << bad;
    EXPECT_EQ(kind.error(), make_error_code(StoreError::bad_config)) << bad;
    auto opened = open_store(bad);
    ASSERT_FALSE(opened) << bad;
    EXPECT_EQ(opened.error(), make_error_code(StoreError::bad_config)) << bad;
  }
}

TEST(OpenStoreTest, OpensSqliteByPrefixOrPlainPath) {
  testing::TempDir dir;
  const std::string plain = (dir.path() / "plain.db").string();
  const std::string prefixed = "sqlite:" + (dir.path() / "sub" / "prefixed.db").string();
  for (const std::string& location : {plain, prefixed}) {
    auto store = open_store(location);
    ASSERT_TRUE(store) << location << ": " << store.error().message();
    NewMessage m;
    m.raw = "MSH|";
    ASSERT_TRUE((*store)->append({&m, 1}, 0));
  }
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "plain.db"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "sub" / "prefixed.db"));
}

TEST(OpenStoreTest, PostgresErrorsPassThrough) {
  auto opened = open_store("postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=2");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error(), make_error_code(StoreError::unavailable));
}

TEST(RedactedLocationTest, HidesPasswordsAndNothingElse) {
  EXPECT_EQ(redacted_location("postgresql://hb:s3cr%40t@db.local:5432/hisbridge"),
            "postgresql://hb:***@db.local:5432/hisbridge");
  EXPECT_EQ(redacted_location("postgres://hb@db.local/hisbridge"), "postgres://hb@db.local/hisbridge");
  EXPECT_EQ(redacted_location("postgresql://db.local/hisbridge?user=hb&password=x1&sslmode=require"),
            "postgresql://db.local/hisbridge?user=hb&password=***&sslmode=require");
  EXPECT_EQ(redacted_location("host=db user=hb password='a b' dbname=his"),
            "host=db user=hb password=*** dbname=his");
  EXPECT_EQ(redacted_location("host=db password=abc"), "host=db password=***");
  EXPECT_EQ(redacted_location("var/hisbridge.db"), "var/hisbridge.db");
  EXPECT_EQ(redacted_location("sqlite:///srv/hb/journal.db"), "sqlite:///srv/hb/journal.db");
}

}  // namespace
}  // namespace hisbridge::store
