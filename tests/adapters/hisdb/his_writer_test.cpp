// open_his_writer: which writer a location names; the error category.
#include "adapters/hisdb/his_writer.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "tests/adapters/hisdb/hisdb_test_env.hpp"

namespace hisbridge::hisdb {
namespace {

using testing::record;
using testing::TempDir;
using testing::text;

TEST(OpenHisWriterTest, OpensSqliteFromEveryFileForm) {
  const TempDir dir;
  const auto base = dir.path();
  for (const std::string& location :
       {(base / "plain.db").string(), "sqlite:" + (base / "prefixed.db").string(),
        "sqlite://" + (base / "slashes.db").string()}) {
    auto writer = open_his_writer(location);
    ASSERT_TRUE(writer) << location << ": " << writer.error().message();
    ASSERT_TRUE((*writer)->write(std::vector{record("his_patient", {{"patient_id", text("P")}})}));
  }
  EXPECT_TRUE(std::filesystem::exists(base / "plain.db"));
  EXPECT_TRUE(std::filesystem::exists(base / "prefixed.db"));
  EXPECT_TRUE(std::filesystem::exists(base / "slashes.db"));
}

TEST(OpenHisWriterTest, OtherLocationsAreBadConfig) {
  for (const char* location : {"", "mysql://db/his", "sqlite:", "user_name=x"}) {
    const auto writer = open_his_writer(location);
    ASSERT_FALSE(writer) << location;
    EXPECT_EQ(writer.error(), HisDbError::bad_config) << location;
    EXPECT_FALSE(is_retryable(writer.error()));
  }
}

TEST(HisDbErrorTest, OnlyBusyUnavailableAndStorageAreRetryable) {
  EXPECT_TRUE(is_retryable(HisDbError::busy));
  EXPECT_TRUE(is_retryable(HisDbError::unavailable));
  EXPECT_TRUE(is_retryable(HisDbError::storage));
  for (const HisDbError e : {HisDbError::invalid_record, HisDbError::constraint, HisDbError::io,
                             HisDbError::corrupt, HisDbError::bad_config}) {
    EXPECT_FALSE(is_retryable(e)) << make_error_code(e).message();
  }
  EXPECT_FALSE(is_retryable(boost::system::error_code()));
  EXPECT_EQ(make_error_code(HisDbError::busy).category().name(), std::string("hisdb"));
}

}  // namespace
}  // namespace hisbridge::hisdb
