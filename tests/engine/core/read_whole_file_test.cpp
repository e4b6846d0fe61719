#include "engine/core/read_whole_file.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace hisbridge {
namespace {

namespace fs = std::filesystem;

class ReadWholeFileTest : public ::testing::Test {
 protected:
  fs::path write(const std::string& name, const std::string& bytes) {
    const fs::path file = temp_.path() / name;
    std::ofstream(file, std::ios::binary) << bytes;
    return file;
  }

  testing_support::TempDir temp_{"hisbridge-read-whole-file"};
};

TEST_F(ReadWholeFileTest, ReadsEveryByteOfARegularFile) {
  std::string bytes = "mã dịch vụ,tên\r\n";
  bytes.push_back('\0');
  bytes += std::string(200'000, 'x');  // more than one read's chunk
  auto read = read_whole_file(write("table.csv", bytes), 1 << 20);
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(*read, bytes);
  auto empty = read_whole_file(write("empty.csv", ""), 1 << 20);
  ASSERT_TRUE(empty) << empty.error();
  EXPECT_EQ(*empty, "");
}

TEST_F(ReadWholeFileTest, SaysWhyAFileCannotBeRead) {
  EXPECT_EQ(read_whole_file(temp_.path() / "khong-co.csv", 1 << 20).error(),
            "No such file or directory");
  EXPECT_EQ(read_whole_file(temp_.path(), 1 << 20).error(), "a directory");
  EXPECT_EQ(read_whole_file(write("big.csv", std::string((1 << 20) + 1, 'x')), 1 << 20).error(),
            "larger than 1 MB");
  EXPECT_TRUE(read_whole_file(write("exact.csv", std::string(1 << 20, 'x')), 1 << 20));
}

// A device or a FIFO named by mistake is refused before it is opened: reading /dev/zero would
// fill the memory, opening a FIFO without a writer would wait for ever (the test would hang).
TEST_F(ReadWholeFileTest, RefusesDevicesAndFifosWithoutOpeningThem) {
  EXPECT_EQ(read_whole_file("/dev/zero", 1 << 20).error(), "not a regular file");
  const fs::path fifo = temp_.path() / "fifo.csv";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(read_whole_file(fifo, 1 << 20).error(), "not a regular file");
}

}  // namespace
}  // namespace hisbridge
