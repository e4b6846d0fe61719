#include "engine/store/sqlite_backup.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/store/sqlite_store.hpp"
#include "tests/engine/store/store_test_env.hpp"

namespace hisbridge::store {
namespace {
namespace fs = std::filesystem;

constexpr std::size_t kBatch = 25;

// The message numbered `n`: its control id and a body of OBX lines that zstd cannot shrink
// much, so a few thousand of them fill thousands of pages.
NewMessage numbered_message(std::int64_t n) {
  NewMessage m = testing::test_message("C" + std::to_string(n), 1'700'000'000'000'000 + n);
  std::mt19937_64 random(static_cast<std::uint64_t>(n));
  for (int line = 1; line <= 8; ++line) {
    m.raw += "OBX|" + std::to_string(line) + "|ST|" + std::to_string(random()) + "^" +
             std::to_string(random()) + "||" + std::to_string(random()) + std::to_string(random()) +
             "\r";
  }
  return m;
}

// Appends messages kBatch at a time, numbered from `next`, each batch durable before the next.
void append_numbered(Store& store, std::int64_t& next, std::size_t batches) {
  for (std::size_t b = 0; b < batches; ++b) {
    std::vector<NewMessage> batch;
    for (std::size_t i = 0; i < kBatch; ++i) {
      batch.push_back(numbered_message(next++));
    }
    ASSERT_TRUE(store.append(batch, 0));
  }
}

// A writer on a connection of its own, appending until stopped; the copy's on_step hook waits
// for it to commit one more batch, so every step of the copy has a commit before it.
class Writer {
 public:
  Writer(const fs::path& file, std::int64_t next) : next_(next) {
    auto opened = SqliteStore::open(file);
    EXPECT_TRUE(opened);
    store_ = std::move(*opened);
    thread_ = std::thread([this] { run(); });
  }
  ~Writer() { stop(); }

  void wait_for_one_more_commit() {
    std::unique_lock lock(mutex_);
    const std::int64_t seen = committed_;
    // A guard against a writer that hangs, not a measurement: a batch takes milliseconds.
    EXPECT_TRUE(changed_.wait_for(lock, std::chrono::seconds(60),
                                  [&] { return committed_ > seen || failed_; }));
    EXPECT_FALSE(failed_) << "the writer's append failed during the copy";
  }
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  std::int64_t batches_committed() {
    const std::lock_guard lock(mutex_);
    return committed_;
  }

 private:
  void run() {
    while (!stopping_) {
      std::vector<NewMessage> batch;
      for (std::size_t i = 0; i < kBatch; ++i) {
        batch.push_back(numbered_message(next_++));
      }
      const bool ok = static_cast<bool>(store_->append(batch, 0));
      const std::lock_guard lock(mutex_);
      failed_ = failed_ || !ok;
      ++committed_;
      changed_.notify_all();
      if (!ok) {
        return;
      }
    }
  }

  std::unique_ptr<SqliteStore> store_;
  std::int64_t next_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::int64_t committed_ = 0;
  bool failed_ = false;
  std::thread thread_;
};

std::int64_t messages_in(const fs::path& file) {
  return std::stoll(testing::sqlite_value(file, "SELECT count(*) FROM hisbridge_messages"));
}

class SqliteBackupTest : public ::testing::Test {
 protected:
  // A journal of `batches` x kBatch messages, closed again.
  fs::path make_journal(std::size_t batches) {
    const fs::path file = dir_.path() / "var" / "hisbridge.db";
    auto store = SqliteStore::open(file);
    EXPECT_TRUE(store);
    std::int64_t next = 1;
    append_numbered(**store, next, batches);
    return file;
  }

  testing::TempDir dir_;
};

TEST_F(SqliteBackupTest, CopiesAJournalWhileAnotherThreadKeepsWriting) {
  const fs::path journal = make_journal(80);  // 2,000 messages
  const std::int64_t before = messages_in(journal);
  const fs::path copy = dir_.path() / "backup" / "hisbridge.db";
  fs::create_directories(copy.parent_path());

  Writer writer(journal, before + 1);
  BackupOptions options;
  options.pages_per_step = 16;
  options.pause_between_steps = std::chrono::milliseconds(0);
  // A copy that went back to its first page started over after a commit: it did not read one
  // snapshot, and under steady writes it would never end. The writer stops then, so the test
  // ends and fails rather than hangs.
  std::int64_t copied_so_far = 0;
  bool started_over = false;
  options.on_step = [&](const BackupProgress& progress) {
    started_over = started_over || progress.pages_copied < copied_so_far;
    copied_so_far = progress.pages_copied;
    if (started_over) {
      writer.stop();
    } else {
      writer.wait_for_one_more_commit();
    }
  };
  auto done = backup_sqlite_file(journal, copy, options);
  writer.stop();
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_FALSE(started_over) << "the copy started over after another connection's commit";
  const std::int64_t after = messages_in(journal);

  // The copy was made over many steps with commits between them.
  EXPECT_GT(done->steps, 10);
  EXPECT_GE(writer.batches_committed(), done->steps);
  EXPECT_GT(after, before);

  // A consistent prefix: ids 1..n without a gap, n between the counts before and after, the
  // counts table agreeing with the rows, every message whole.
  const std::int64_t n = done->rows("hisbridge_messages");
  EXPECT_GE(n, before);
  EXPECT_LE(n, after);
  EXPECT_EQ(messages_in(copy), n);
  EXPECT_EQ(testing::sqlite_value(copy, "SELECT max(id) FROM hisbridge_messages"),
            std::to_string(n));
  EXPECT_EQ(testing::sqlite_value(copy, "SELECT sum(messages) FROM hisbridge_counts"),
            std::to_string(n));
  EXPECT_EQ(testing::sqlite_value(copy, "PRAGMA integrity_check"), "ok");
  auto opened = SqliteStore::open(copy);
  ASSERT_TRUE(opened);
  for (std::int64_t id = 1; id <= n; ++id) {
    auto stored = (*opened)->get(id);
    ASSERT_TRUE(stored) << "message " << id;
    ASSERT_EQ(stored->message.raw, numbered_message(id).raw) << "message " << id;
  }
}

TEST_F(SqliteBackupTest, TheCopyIsOneCheckedFileWithItsDigest) {
  const fs::path journal = make_journal(4);
  const fs::path copy = dir_.path() / "hisbridge.db";
  const auto mode = fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read;
  fs::permissions(journal, mode, fs::perm_options::replace);
  BackupOptions options;
  options.quick_check = true;
  auto done = backup_sqlite_file(journal, copy, options);
  ASSERT_TRUE(done) << done.error().message;

  EXPECT_EQ(done->source, journal);
  EXPECT_EQ(done->copy, copy);
  EXPECT_EQ(done->rows("hisbridge_messages"), 100);
  EXPECT_EQ(done->rows("no_such_table"), -1);
  EXPECT_EQ(done->page_size, 8192);
  EXPECT_EQ(done->size_bytes, done->page_size * done->page_count);
  EXPECT_EQ(done->size_bytes, static_cast<std::int64_t>(fs::file_size(copy)));
  EXPECT_EQ(fs::status(copy).permissions(), mode) << "the source's 0640";
  auto digest = sha256_of_file(copy);
  ASSERT_TRUE(digest);
  EXPECT_EQ(done->sha256, *digest);
  // Not in WAL mode, nothing beside it; opening it for a check wrote nothing either.
  EXPECT_EQ(testing::sqlite_value(copy, "PRAGMA journal_mode"), "delete");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names.size(), 2u) << "var and hisbridge.db only";
  EXPECT_EQ(*sha256_of_file(copy), done->sha256);
}

TEST_F(SqliteBackupTest, AMissingSourceFailsAndNamesIt) {
  const fs::path missing = dir_.path() / "var" / "nothing.db";
  auto done = backup_sqlite_file(missing, dir_.path() / "copy.db");
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().error, StoreError::unavailable);
  EXPECT_NE(done.error().message.find(missing.string()), std::string::npos) << done.error().message;
  EXPECT_NE(done.error().message.find("no such file"), std::string::npos);
  EXPECT_FALSE(fs::exists(missing)) << "the source must not be created";
  EXPECT_FALSE(fs::exists(dir_.path() / "copy.db"));
}

TEST_F(SqliteBackupTest, AFileThatIsNotADatabaseFails) {
  const fs::path text = dir_.path() / "notes.db";
  std::ofstream(text) << "this is not a database, only text that is long enough to look at\n";
  auto done = backup_sqlite_file(text, dir_.path() / "copy.db");
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().error, StoreError::unavailable);
  EXPECT_NE(done.error().message.find("not a database"), std::string::npos) << done.error().message;
  EXPECT_FALSE(fs::exists(dir_.path() / "copy.db"));
  EXPECT_FALSE(fs::exists(dir_.path() / "copy.db.partial"));
}

TEST_F(SqliteBackupTest, ATargetThatCannotBeWrittenFailsAndNamesIt) {
  const fs::path journal = make_journal(1);
  const fs::path not_a_folder = dir_.path() / "plain-file";
  std::ofstream(not_a_folder) << "x";
  auto done = backup_sqlite_file(journal, not_a_folder / "hisbridge.db");
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().error, StoreError::io);
  EXPECT_NE(done.error().message.find(not_a_folder.string()), std::string::npos)
      << done.error().message;
  EXPECT_NE(done.error().message.find("is not a folder"), std::string::npos);

  auto missing = backup_sqlite_file(journal, dir_.path() / "no" / "such" / "hisbridge.db");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().error, StoreError::io);
  EXPECT_NE(missing.error().message.find("does not exist"), std::string::npos)
      << missing.error().message;
}

TEST_F(SqliteBackupTest, AnExistingTargetIsNeverOverwritten) {
  const fs::path journal = make_journal(1);
  const fs::path copy = dir_.path() / "kept.db";
  std::ofstream(copy) << "yesterday's backup";
  auto done = backup_sqlite_file(journal, copy);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().error, StoreError::constraint);
  EXPECT_NE(done.error().message.find("exists already"), std::string::npos);
  std::ifstream in(copy);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "yesterday's backup");
}

// Overwrites the last page of `file` (a table's leaf: the rows appended last) with bytes that
// are no b-tree page; the header on page 1 stays whole, so the file still opens.
void damage_last_page(const fs::path& file) {
  const auto size = fs::file_size(file);
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(size - 4096));
  const std::string junk(4096, '\x5a');
  f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
}

TEST_F(SqliteBackupTest, ADamagedSourceFailsTheCheckAndLeavesNoCopy) {
  const fs::path file = dir_.path() / "his.db";
  testing::sqlite_value(file,
                        "PRAGMA page_size=4096; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
                        "CREATE INDEX t_v ON t(v);"
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                        " WHERE i < 2000) INSERT INTO t SELECT i, hex(randomblob(40)) FROM n");
  damage_last_page(file);
  const fs::path copy = dir_.path() / "copy.db";
  auto done = backup_sqlite_file(file, copy);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().error, StoreError::corrupt) << done.error().message;
  EXPECT_NE(done.error().message.find("integrity_check"), std::string::npos)
      << done.error().message;
  EXPECT_NE(done.error().message.find(file.string()), std::string::npos) << done.error().message;
  EXPECT_FALSE(fs::exists(copy));
  EXPECT_FALSE(fs::exists(copy.string() + ".partial"));
}

// A file in rollback-journal mode with another connection in an exclusive transaction:
// no reader gets in until it ends.
struct LockedDatabase {
  explicit LockedDatabase(const fs::path& file) {
    testing::sqlite_value(file, "CREATE TABLE t(v); INSERT INTO t VALUES (1)");
    sqlite3_open(file.c_str(), &db);
    sqlite3_exec(db, "BEGIN EXCLUSIVE; INSERT INTO t VALUES (2)", nullptr, nullptr, nullptr);
  }
  void release() { sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); }
  ~LockedDatabase() { sqlite3_close(db); }
  sqlite3* db = nullptr;
};

TEST_F(SqliteBackupTest, ASourceThatStaysLockedFailsAsBusy) {
  const fs::path file = dir_.path() / "locked.db";
  LockedDatabase locked(file);
  BackupOptions options;
  options.busy_wait = std::chrono::milliseconds(5);
  options.busy_limit = std::chrono::milliseconds(50);
  auto done = backup_sqlite_file(file, dir_.path() / "copy.db", options);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().error, StoreError::busy);
  EXPECT_NE(done.error().message.find("stayed locked"), std::string::npos) << done.error().message;
  EXPECT_FALSE(fs::exists(dir_.path() / "copy.db"));
}

TEST_F(SqliteBackupTest, ALockIsWaitedOutAndTheCopyHoldsTheCommittedState) {
  const fs::path file = dir_.path() / "locked.db";
  LockedDatabase locked(file);
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    locked.release();
  });
  auto done = backup_sqlite_file(file, dir_.path() / "copy.db");  // waits up to 60 s
  releaser.join();
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_GT(done->busy_retries, 0);
  EXPECT_EQ(done->rows("t"), 2);
}

TEST(Sha256OfFileTest, MatchesTheKnownDigestAndFailsOnAMissingFile) {
  testing::TempDir dir;
  const fs::path file = dir.path() / "abc";
  std::ofstream(file) << "abc";
  auto digest = sha256_of_file(file);
  ASSERT_TRUE(digest);
  EXPECT_EQ(*digest, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto missing = sha256_of_file(dir.path() / "none");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), std::errc::no_such_file_or_directory);
}

}  // namespace
}  // namespace hisbridge::store
