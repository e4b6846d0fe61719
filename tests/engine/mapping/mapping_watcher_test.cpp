// MappingWatcher with real files in a temporary folder: what is loaded at start, what a check
// swaps in, what it refuses, how often a refusal is counted, lookup tables as watched files.
// Modification times are set explicitly after every write, so a change is seen whatever the
// file system's time resolution and however fast the test runs.
#include "engine/mapping/mapping_watcher.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/support/temp_dir.hpp"

namespace hisbridge::mapping {
namespace {

namespace fs = std::filesystem;
using testing::HasSubstr;

// One visit row; `department` is the value a test changes to see which version ran.
std::string visit_mapping(const std::string& department) {
  return R"({
  "mapping": "visits",
  "records": [{
    "table": "his_visit",
    "key": ["visit_id"],
    "columns": {
      "visit_id": "PV1-19.1",
      "department": {"const": ")" +
         department + R"("}
    }
  }]
})";
}

// The same through a lookup table: the department comes from wards.csv.
const char* const kTableMapping = R"({
  "mapping": "wards",
  "tables": {"wards": "wards.csv"},
  "records": [{
    "table": "his_visit",
    "key": ["visit_id"],
    "columns": {
      "visit_id": "PV1-19.1",
      "department": {"path": "PV1-3.1", "transform": [{"lookup": "wards", "column": "his_code"}]}
    }
  }]
})";

// A typo'd transform: an error at load, with a did-you-mean.
const char* const kTypoMapping = R"({
  "mapping": "visits",
  "records": [{
    "table": "his_visit",
    "key": ["visit_id"],
    "columns": {"visit_id": {"path": "PV1-19.1", "transform": ["uppr"]}}
  }]
})";

const char* const kMessage =
    "MSH|^~\\&|LIS|LAB|HIS|H|20260305081500+0700||ADT^A08|C1|P|2.5\r"
    "PID|1||P1^^^H^MR\r"
    "PV1|1|I|KSAN||||||||||||||||V1\r";

class MappingWatcherTest : public testing::Test {
 protected:

  // Writes `text` and gives the file a modification time no earlier write had.
  std::string write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << text;
    }
    fs::last_write_time(path, base_time_ + std::chrono::seconds(++writes_));
    return path.string();
  }

  // What `mapping` makes of the department of kMessage; the error text when it fails.
  static std::string department(const std::shared_ptr<const Mapping>& mapping) {
    if (!mapping) {
      return "<no mapping>";
    }
    auto out = mapping->apply(kMessage);
    if (!out) {
      return "<error: " + out.error().reason + ">";
    }
    if (out->records.size() != 1) {
      return "<" + std::to_string(out->records.size()) + " records>";
    }
    return std::string(out->records[0].get("department").text);
  }

  static MappingStatus status_of(const MappingWatcher& watcher, const std::string& file) {
    for (const MappingStatus& s : watcher.statuses()) {
      if (s.file == file) {
        return s;
      }
    }
    ADD_FAILURE() << "no status for " << file;
    return {};
  }

  testing_support::TempDir temp_{"hisbridge-watcher"};
  fs::path dir_ = temp_.path();
  fs::file_time_type base_time_ = fs::file_time_type::clock::now();
  int writes_ = 0;
};

TEST_F(MappingWatcherTest, AddsAValidMappingAndRefusesAnInvalidOneAtStart) {
  const std::string valid = write("visits.json", visit_mapping("K01"));
  const std::string invalid = write("typo.json", kTypoMapping);
  MappingWatcher watcher({}, std::chrono::milliseconds(0));

  ASSERT_TRUE(watcher.add(valid));
  const auto first = watcher.current(valid);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->name(), "visits");
  EXPECT_EQ(department(first), "K01");

  const auto refused = watcher.add(invalid);
  ASSERT_FALSE(refused);
  ASSERT_FALSE(refused.error().empty());
  EXPECT_EQ(refused.error()[0].file, invalid);
  EXPECT_GT(refused.error()[0].line, 0u);
  EXPECT_THAT(refused.error()[0].message, HasSubstr("uppr"));
  EXPECT_EQ(watcher.current(invalid), nullptr) << "an invalid file is not watched";
  EXPECT_EQ(watcher.current((dir_ / "never-added.json").string()), nullptr);

  // Adding a watched file again neither reloads nor counts anything.
  ASSERT_TRUE(watcher.add(valid));
  EXPECT_EQ(watcher.current(valid), first);
  ASSERT_EQ(watcher.statuses().size(), 1u);
  const MappingStatus s = status_of(watcher, valid);
  EXPECT_EQ(s.name, "visits");
  EXPECT_GT(s.loaded_at_us, 0);
  EXPECT_EQ(s.reloads, 0u);
  EXPECT_EQ(s.failures, 0u);
  EXPECT_EQ(s.last_error, "");
  EXPECT_EQ(watcher.reload_failures(), 0u) << "a refusal at start is not a refused reload";
}

TEST_F(MappingWatcherTest, UnchangedFilesAreNotReloaded) {
  const std::string file = write("visits.json", visit_mapping("K01"));
  MappingWatcher watcher({}, std::chrono::milliseconds(0));
  ASSERT_TRUE(watcher.add(file));
  const auto first = watcher.current(file);
  for (int i = 0; i < 3; ++i) {
    watcher.check_now();
  }
  EXPECT_EQ(watcher.current(file), first);
  EXPECT_EQ(status_of(watcher, file).reloads, 0u);
}

TEST_F(MappingWatcherTest, AValidEditIsSwappedInAtTheNextCheck) {
  const std::string file = write("visits.json", visit_mapping("K01"));
  MappingWatcher watcher({}, std::chrono::milliseconds(0));
  ASSERT_TRUE(watcher.add(file));
  const auto first = watcher.current(file);
  const std::int64_t first_loaded_at = status_of(watcher, file).loaded_at_us;

  // Same size as before: only the modification time tells the change.
  write("visits.json", visit_mapping("K02"));
  EXPECT_EQ(watcher.current(file), first) << "nothing changes before a check";
  watcher.check_now();
  const auto second = watcher.current(file);
  ASSERT_NE(second, first);
  EXPECT_EQ(department(second), "K02");
  EXPECT_EQ(department(first), "K01") << "a caller holding the old version keeps a whole one";

  const MappingStatus s = status_of(watcher, file);
  EXPECT_EQ(s.reloads, 1u);
  EXPECT_EQ(s.failures, 0u);
  EXPECT_GE(s.loaded_at_us, first_loaded_at);
  watcher.check_now();
  EXPECT_EQ(watcher.current(file), second) << "a version is loaded once";
  EXPECT_EQ(status_of(watcher, file).reloads, 1u);
}

TEST_F(MappingWatcherTest, AnInvalidEditKeepsTheRunningVersionAndIsCountedOnce) {
  const std::string file = write("visits.json", visit_mapping("K01"));
  MappingWatcher watcher({}, std::chrono::milliseconds(0));
  ASSERT_TRUE(watcher.add(file));
  const auto running = watcher.current(file);

  write("visits.json", kTypoMapping);
  for (int i = 0; i < 5; ++i) {
    watcher.check_now();  // what five polls of the thread would do
  }
  EXPECT_EQ(watcher.current(file), running);
  EXPECT_EQ(department(watcher.current(file)), "K01");
  EXPECT_EQ(watcher.reload_failures(), 1u) << "the same broken content is reported once";
  MappingStatus s = status_of(watcher, file);
  EXPECT_EQ(s.failures, 1u);
  EXPECT_EQ(s.reloads, 0u);
  EXPECT_THAT(s.last_error, HasSubstr(file + ":"));
  EXPECT_THAT(s.last_error, HasSubstr("uppr"));

  // Another broken edit is another refusal.
  write("visits.json", std::string(kTypoMapping) + "\n// still broken\n");
  watcher.check_now();
  watcher.check_now();
  EXPECT_EQ(watcher.reload_failures(), 2u);
  EXPECT_EQ(watcher.current(file), running);

  // The fix is swapped in and clears the error; the failures stay counted.
  write("visits.json", visit_mapping("K03"));
  watcher.check_now();
  EXPECT_EQ(department(watcher.current(file)), "K03");
  s = status_of(watcher, file);
  EXPECT_EQ(s.reloads, 1u);
  EXPECT_EQ(s.failures, 2u);
  EXPECT_EQ(s.last_error, "");
  EXPECT_EQ(watcher.reload_failures(), 2u);
}

TEST_F(MappingWatcherTest, BreakingAfterAFixIsRefusedAgain) {
  const std::string file = write("visits.json", visit_mapping("K01"));
  MappingWatcher watcher({}, std::chrono::milliseconds(0));
  ASSERT_TRUE(watcher.add(file));
  write("visits.json", kTypoMapping);
  watcher.check_now();
  write("visits.json", visit_mapping("K02"));
  watcher.check_now();
  // The very same broken text as the first time, written again: a new change, so a new refusal.
  write("visits.json", kTypoMapping);
  watcher.check_now();
  watcher.check_now();
  EXPECT_EQ(department(watcher.current(file)), "K02");
  EXPECT_EQ(watcher.reload_failures(), 2u);
  EXPECT_EQ(status_of(watcher, file).reloads, 1u);
}

TEST_F(MappingWatcherTest, ALookupTableEditTriggersAReload) {
  write("wards.csv", "ward,his_code\nKSAN,K07\n");
  const std::string file = write("wards.json", kTableMapping);
  MappingWatcher watcher({}, std::chrono::milliseconds(0));
  ASSERT_TRUE(watcher.add(file));
  const auto first = watcher.current(file);
  ASSERT_EQ(department(first), "K07");

  // Only the table changes; the mapping file is untouched.
  write("wards.csv", "ward,his_code\nKSAN,K19\n");
  watcher.check_now();
  EXPECT_NE(watcher.current(file), first);
  EXPECT_EQ(department(watcher.current(file)), "K19");
  EXPECT_EQ(status_of(watcher, file).reloads, 1u);

  // A table that loses the column the mapping reads is refused like a broken mapping.
  write("wards.csv", "ward,ma_khoa\nKSAN,K20\n");
  watcher.check_now();
  watcher.check_now();
  EXPECT_EQ(department(watcher.current(file)), "K19");
  const MappingStatus s = status_of(watcher, file);
  EXPECT_EQ(s.failures, 1u);
  EXPECT_THAT(s.last_error, HasSubstr("his_code"));
}

// The order IT staff often edit in: the mapping first (now naming a table that is not there
// yet: refused), then the new table. The running version does not read that table, so only a
// new attempt at the refused content can see that it has become valid.
TEST_F(MappingWatcherTest, ATableWrittenAfterTheMappingThatNamesItIsPickedUp) {
  const std::string file = write("wards.json", visit_mapping("K01"));
  MappingWatcher watcher({}, std::chrono::milliseconds(0));
  ASSERT_TRUE(watcher.add(file));
  write("wards.json", kTableMapping);
  watcher.check_now();
  EXPECT_EQ(department(watcher.current(file)), "K01");
  EXPECT_THAT(status_of(watcher, file).last_error, HasSubstr("wards.csv"));

  write("wards.csv", "ward,his_code\nKSAN,K07\n");
  watcher.check_now();
  EXPECT_EQ(department(watcher.current(file)), "K07");
  const MappingStatus s = status_of(watcher, file);
  EXPECT_EQ(s.reloads, 1u);
  EXPECT_EQ(s.failures, 1u) << "the refusal is counted once, however many checks retried it";
  EXPECT_EQ(s.last_error, "");
}

TEST_F(MappingWatcherTest, ADeletedFileIsRefusedAndItsReturnReloads) {
  const std::string file = write("visits.json", visit_mapping("K01"));
  MappingWatcher watcher({}, std::chrono::milliseconds(0));
  ASSERT_TRUE(watcher.add(file));
  fs::remove(file);
  watcher.check_now();
  watcher.check_now();
  EXPECT_EQ(department(watcher.current(file)), "K01");
  EXPECT_EQ(watcher.reload_failures(), 1u);

  write("visits.json", visit_mapping("K04"));
  watcher.check_now();
  EXPECT_EQ(department(watcher.current(file)), "K04");
  EXPECT_EQ(status_of(watcher, file).last_error, "");
}

TEST_F(MappingWatcherTest, ThePollingThreadSwapsAChangeIn) {
  const std::string file = write("visits.json", visit_mapping("K01"));
  MappingWatcher watcher({}, std::chrono::milliseconds(10));
  ASSERT_TRUE(watcher.add(file));
  watcher.start();
  write("visits.json", visit_mapping("K05"));
  // Bounded wait for the thread; the check itself is the same as check_now().
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (department(watcher.current(file)) != "K05" &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  watcher.stop();
  EXPECT_EQ(department(watcher.current(file)), "K05");
  EXPECT_EQ(status_of(watcher, file).reloads, 1u);
}

}  // namespace
}  // namespace hisbridge::mapping
