// The audit file on real files in a temp folder: the line format, rotation by size with `keep`
// files, appends from two threads and from two processes (fork) rotating the same file, and
// the errors of a folder or a disk that cannot be written.
#include "engine/audit/audit_file.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace hisbridge::audit {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

using testing_support::TempDir;

std::vector<std::string> lines_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

std::string text_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// FILE, FILE.1, FILE.2, ... as far as they exist, newest first.
std::vector<fs::path> files_of(const fs::path& file, std::size_t keep) {
  std::vector<fs::path> out;
  if (fs::exists(file)) {
    out.push_back(file);
  }
  for (std::size_t n = 1; n <= keep + 1; ++n) {
    const fs::path p = file.string() + "." + std::to_string(n);
    if (fs::exists(p)) {
      out.push_back(p);
    }
  }
  return out;
}

Entry entry(const std::string& actor, int n) {
  return {actor, "10.1.2.3:5123", "reprocess-messages", {{"via", "api"}, {"n", n}}};
}

std::unique_ptr<AuditFile> open_file(const FileOptions& options) {
  auto opened = AuditFile::open(options);
  EXPECT_TRUE(opened) << (opened ? "" : opened.error());
  return opened ? std::move(*opened) : nullptr;
}

TEST(AuditFileTest, EachEntryIsOneJsonLineWithWhoWhenWhatAndFromWhere) {
  TempDir dir;
  const fs::path file = dir.path() / "var" / "log" / "audit.log";  // folders made on open
  auto audit = open_file({file, 1'000'000, 3});
  ASSERT_TRUE(audit);
  ASSERT_TRUE(audit->append({"it-team (10.1.2.3:5123)", "10.1.2.3:5123", "view-message",
                             {{"via", "api"}, {"message", 42}}}));
  ASSERT_TRUE(audit->append({"bad \xff byte", "cli", "reprocess-range", {}}));
  const auto lines = lines_of(file);
  ASSERT_EQ(lines.size(), 2u);
  const Json first = Json::parse(lines[0]);
  std::vector<std::string> keys;
  for (const auto& [key, value] : first.items()) {
    keys.push_back(key);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"action", "actor", "at", "detail", "from"}));
  EXPECT_EQ(lines[0].rfind("{\"at\":\"", 0), 0u) << "fields in the documented order";
  EXPECT_EQ(first["actor"], "it-team (10.1.2.3:5123)");
  EXPECT_EQ(first["from"], "10.1.2.3:5123");
  EXPECT_EQ(first["action"], "view-message");
  EXPECT_EQ(first["detail"]["message"], 42);
  const std::string at = first["at"];
  ASSERT_EQ(at.size(), 27u) << at;  // 2026-03-05T01:15:00.123456Z
  EXPECT_EQ(at[10], 'T');
  EXPECT_EQ(at[19], '.');
  EXPECT_EQ(at.back(), 'Z');
  const Json second = Json::parse(lines[1]);  // not UTF-8: replaced, still JSON
  EXPECT_EQ(second["actor"], "bad \xEF\xBF\xBD byte");
  EXPECT_TRUE(second["detail"].is_object());
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0007, 0u) << "no access for others";
  EXPECT_EQ(st.st_mode & 0600, 0600u);
}

TEST(AuditFileTest, IsoUtcHasMicroseconds) {
  EXPECT_EQ(iso_utc(1772673300LL * 1000 * 1000 + 42), "2026-03-05T01:15:00.000042Z");
  EXPECT_EQ(iso_utc(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(iso_utc(-1), "1969-12-31T23:59:59.999999Z");
}

TEST(AuditFileTest, AnExistingFileIsAppendedToNotReplaced) {
  TempDir dir;
  const fs::path file = dir.path() / "audit.log";
  {
    auto audit = open_file({file, 1'000'000, 3});
    ASSERT_TRUE(audit && audit->append(entry("a", 1)));
  }
  auto audit = open_file({file, 1'000'000, 3});
  ASSERT_TRUE(audit && audit->append(entry("b", 2)));
  const auto lines = lines_of(file);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(Json::parse(lines[0])["actor"], "a");
  EXPECT_EQ(Json::parse(lines[1])["actor"], "b");
}

// Appends until three rotations have happened; every line is whole, no file passes the size,
// and with keep = 3 every line is still there, in order.
TEST(AuditFileTest, RotatesBySizeWithoutLosingOrSplittingALine) {
  TempDir dir;
  const fs::path file = dir.path() / "audit.log";
  const std::size_t line_bytes = format_line(entry("alice", 100), 0).size();
  const auto max = static_cast<std::int64_t>(line_bytes * 10);  // ten lines a file
  auto audit = open_file({file, max, 3});
  ASSERT_TRUE(audit);
  for (int n = 100; n < 135; ++n) {  // 35 lines: 3 full files and 5 lines
    ASSERT_TRUE(audit->append(entry("alice", n)));
  }
  const auto files = files_of(file, 3);
  ASSERT_EQ(files.size(), 4u);
  std::vector<int> seen;
  for (auto it = files.rbegin(); it != files.rend(); ++it) {  // oldest first
    EXPECT_LE(static_cast<std::int64_t>(fs::file_size(*it)), max) << *it;
    const std::string text = text_of(*it);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n') << *it << " ends inside a line";
    for (const std::string& line : lines_of(*it)) {
      const Json j = Json::parse(line, nullptr, false);
      ASSERT_FALSE(j.is_discarded()) << line;
      seen.push_back(j["detail"]["n"]);
    }
  }
  std::vector<int> expected;
  for (int n = 100; n < 135; ++n) {
    expected.push_back(n);
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(lines_of(file).size(), 5u);
  EXPECT_EQ(lines_of(file.string() + ".3").size(), 10u);
}

TEST(AuditFileTest, KeepsOnlyKeepRotatedFiles) {
  TempDir dir;
  const fs::path file = dir.path() / "audit.log";
  const std::size_t line_bytes = format_line(entry("alice", 100), 0).size();
  auto audit = open_file({file, static_cast<std::int64_t>(line_bytes * 2), 2});
  ASSERT_TRUE(audit);
  for (int n = 100; n < 110; ++n) {  // five files' worth, two rotated ones kept
    ASSERT_TRUE(audit->append(entry("alice", n)));
  }
  EXPECT_EQ(files_of(file, 5).size(), 3u);
  EXPECT_FALSE(fs::exists(file.string() + ".3"));
  EXPECT_EQ(Json::parse(lines_of(file.string() + ".2").front())["detail"]["n"], 104);
  EXPECT_EQ(Json::parse(lines_of(file).back())["detail"]["n"], 109);
}

TEST(AuditFileTest, ALineLongerThanTheSizeGetsAFileOfItsOwnWhole) {
  TempDir dir;
  const fs::path file = dir.path() / "audit.log";
  auto audit = open_file({file, 64, 2});
  ASSERT_TRUE(audit);
  ASSERT_TRUE(audit->append(entry("alice", 1)));
  ASSERT_TRUE(audit->append(entry("bob", 2)));
  EXPECT_EQ(lines_of(file).size(), 1u);
  EXPECT_EQ(Json::parse(lines_of(file).front())["actor"], "bob");
  EXPECT_EQ(Json::parse(lines_of(file.string() + ".1").front())["actor"], "alice");
}

// Every line of `files` by its "actor" and detail "n", counted.
std::map<std::pair<std::string, int>, int> count_lines(const std::vector<fs::path>& files) {
  std::map<std::pair<std::string, int>, int> out;
  for (const fs::path& f : files) {
    const std::string text = text_of(f);
    EXPECT_TRUE(text.empty() || text.back() == '\n') << f << " ends inside a line";
    for (const std::string& line : lines_of(f)) {
      const Json j = Json::parse(line, nullptr, false);
      EXPECT_FALSE(j.is_discarded()) << "not a whole line in " << f << ": " << line;
      if (!j.is_discarded()) {
        ++out[{j["actor"].get<std::string>(), j["detail"]["n"].get<int>()}];
      }
    }
  }
  return out;
}

TEST(AuditFileTest, TwoThreadsAppendWholeLines) {
  TempDir dir;
  const fs::path file = dir.path() / "audit.log";
  auto audit = open_file({file, 1'000'000'000, 3});
  ASSERT_TRUE(audit);
  constexpr int kEach = 1000;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (const std::string actor : {"thread-a", "thread-b"}) {
    threads.emplace_back([&, actor] {
      for (int n = 0; n < kEach; ++n) {
        failures += audit->append(entry(actor, n)) ? 0 : 1;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  const auto counted = count_lines({file});
  EXPECT_EQ(counted.size(), 2u * kEach);
  EXPECT_EQ(lines_of(file).size(), 2u * kEach);
  for (const auto& [key, times] : counted) {
    EXPECT_EQ(times, 1) << key.first << " " << key.second;
  }
}

// The engine and `hisbridge replay` append to one file: two processes, each with its own
// AuditFile, rotating it many times while the other appends. Every line is in one of the
// files exactly once, whole.
TEST(AuditFileTest, TwoProcessesRotatingTheSameFileLoseNoLine) {
  TempDir dir;
  const fs::path file = dir.path() / "audit.log";
  constexpr int kEach = 500;
  constexpr std::size_t kKeep = 200;  // enough that no rotated file is deleted
  const auto max = static_cast<std::int64_t>(format_line(entry("process-a", 1), 0).size() * 20);
  std::vector<pid_t> children;
  for (const char* actor : {"process-a", "process-b"}) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto opened = AuditFile::open({file, max, kKeep});
      int status = opened ? 0 : 3;
      for (int n = 0; opened && n < kEach && status == 0; ++n) {
        status = (*opened)->append(entry(actor, n)) ? 0 : 4;
      }
      ::_exit(status);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  const auto files = files_of(file, kKeep);
  EXPECT_GE(files.size(), 40u) << "it rotated";
  for (const fs::path& f : files) {
    EXPECT_LE(static_cast<std::int64_t>(fs::file_size(f)), max) << f;
  }
  const auto counted = count_lines(files);
  EXPECT_EQ(counted.size(), 2u * kEach);
  for (const auto& [key, times] : counted) {
    EXPECT_EQ(times, 1) << key.first << " " << key.second;
  }
  // Read oldest file first, the lines are in the order they were stamped (under the lock):
  // no process wrote to a file after another had rotated it away.
  std::string last;
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    for (const std::string& line : lines_of(*it)) {
      const std::string at = Json::parse(line)["at"];
      EXPECT_LE(last, at) << "a line stamped " << at << " in " << *it << " after one of " << last;
      last = at;
    }
  }
}

// `hisbridge replay` run as root rotates the engine's file: the new file stays the engine's.
TEST(AuditFileTest, TheNewFileOfARotationKeepsTheOldOwner) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "only root may give a file to another user";
  }
  TempDir dir;
  const fs::path file = dir.path() / "audit.log";
  std::ofstream(file) << "{}\n";
  ASSERT_EQ(::chown(file.c_str(), 4321, 4322), 0);
  auto audit = open_file({file, 8, 2});  // every line rotates
  ASSERT_TRUE(audit && audit->append(entry("root", 1)));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 4321u);
  EXPECT_EQ(st.st_gid, 4322u);
  EXPECT_EQ(lines_of(file.string() + ".1"), std::vector<std::string>{"{}"});
}

TEST(AuditFileTest, AFileMovedAwayByAnotherToolIsCreatedAgain) {
  TempDir dir;
  const fs::path file = dir.path() / "audit.log";
  auto audit = open_file({file, 1'000'000, 3});
  ASSERT_TRUE(audit && audit->append(entry("a", 1)));
  fs::rename(file, dir.path() / "moved.log");
  ASSERT_TRUE(audit->append(entry("a", 2)));
  EXPECT_EQ(lines_of(dir.path() / "moved.log").size(), 1u);
  ASSERT_EQ(lines_of(file).size(), 1u);
  EXPECT_EQ(Json::parse(lines_of(file).front())["detail"]["n"], 2);
}

TEST(AuditFileTest, AFolderThatCannotBeMadeIsAClearError) {
  TempDir dir;
  std::ofstream(dir.path() / "not-a-folder") << "x";
  const fs::path file = dir.path() / "not-a-folder" / "audit.log";
  auto opened = AuditFile::open({file, 1'000'000, 3});
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().find("audit file " + file.string()), std::string::npos)
      << opened.error();
  EXPECT_NE(opened.error().find("cannot create its folder"), std::string::npos) << opened.error();
  EXPECT_FALSE(AuditFile::open({dir.path(), 1'000'000, 3})) << "a folder is not a file";
  EXPECT_FALSE(AuditFile::open({"", 1'000'000, 3}));
}

// A full disk: the file is a link to /dev/full, whose writes fail with ENOSPC.
TEST(AuditFileTest, AWriteThatFailsIsAClearError) {
  if (!fs::exists("/dev/full")) {
    GTEST_SKIP() << "no /dev/full";
  }
  TempDir dir;
  const fs::path file = dir.path() / "audit.log";
  fs::create_symlink("/dev/full", file);
  auto audit = open_file({file, 1'000'000, 3});
  ASSERT_TRUE(audit);
  const auto written = audit->append(entry("a", 1));
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().find("audit file " + file.string() + ": cannot write"),
            std::string::npos)
      << written.error();
  EXPECT_NE(written.error().find("No space left on device"), std::string::npos)
      << written.error();
}

}  // namespace
}  // namespace hisbridge::audit
