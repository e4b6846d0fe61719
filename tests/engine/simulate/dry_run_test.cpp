// A dry run writes the messages a run would send, one file each in send order, with a
// manifest; nothing is sent.
#include "engine/simulate/dry_run.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace hisbridge::simulate {
namespace {

namespace fs = std::filesystem;

SimulationOptions small_day() {
  SimulationOptions o;
  o.seed = 4;
  o.patients_per_day = 40;
  o.start = 1772643600;  // 2026-03-05T00:00:00+07:00
  o.duration = kDay;
  o.malformed_rate = 0.05;
  return o;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::vector<std::string>> tsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> cells;
    std::istringstream fields(line);
    for (std::string cell; std::getline(fields, cell, '\t');) {
      cells.push_back(cell);
    }
    if (line.ends_with('\t')) {
      cells.emplace_back();
    }
    rows.push_back(cells);
  }
  return rows;
}

class DryRunTest : public ::testing::Test {
 protected:
  hisbridge::testing_support::TempDir dir_{"hisbridge-dry-run"};
  const fs::path& folder_ = dir_.path();
};

TEST_F(DryRunTest, WritesEveryMessageAsSentWithAManifest) {
  TrafficGenerator traffic(small_day());
  auto written = write_dry_run(traffic, folder_ / "day", UtcOffset{});
  ASSERT_TRUE(written) << written.error().message;

  TrafficGenerator again(small_day());
  std::vector<Outgoing> expected;
  while (auto m = again.next()) {
    expected.push_back(std::move(*m));
  }
  ASSERT_EQ(*written, expected.size());
  const auto rows = tsv(read(folder_ / "day" / "manifest.tsv"));
  ASSERT_EQ(rows.size(), expected.size() + 1);
  EXPECT_EQ(rows[0][0], "number");
  std::size_t malformed = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const std::vector<std::string>& row = rows[i + 1];
    ASSERT_EQ(row.size(), 10u) << i;
    EXPECT_EQ(row[0], std::to_string(i + 1));
    EXPECT_EQ(row[1], iso_time(expected[i].at, UtcOffset{}));
    EXPECT_EQ(row[2], destination_name(expected[i].destination));
    EXPECT_EQ(row[5], expected[i].control_id);
    EXPECT_EQ(row[8], expected[i].malformed_kind);
    malformed += row[8].empty() ? 0u : 1u;
    EXPECT_EQ(read(folder_ / "day" / row[9]), expected[i].bytes) << row[9];
    EXPECT_TRUE(row[9].starts_with(row[2] + "/")) << row[9];
  }
  EXPECT_GT(malformed, 0u);
}

TEST_F(DryRunTest, AFolderThatCannotBeMadeIsAnError) {
  fs::create_directories(folder_);
  std::ofstream(folder_ / "file") << "not a folder";
  TrafficGenerator traffic(small_day());
  auto written = write_dry_run(traffic, folder_ / "file" / "day", UtcOffset{});
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().message.find("file"), std::string::npos) << written.error().message;
}

}  // namespace
}  // namespace hisbridge::simulate
