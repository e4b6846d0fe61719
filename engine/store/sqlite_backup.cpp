#include "engine/store/sqlite_backup.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "engine/store/sqlite_db.hpp"

namespace hisbridge::store {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Failed = Result<void, BackupFailure>;

constexpr const char* kPartialSuffix = ".partial";
// The lines of a failed integrity check quoted in the failure (the rest are like them).
constexpr int kCheckLinesShown = 5;

BackupFailure failure(StoreError error, std::string message) {
  return BackupFailure{error, std::move(message)};
}

std::string driver_text(sqlite3* db, int rc) {
  return db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
}

// ", <errno text>" when the last failure on `db` came from a system call, else "".
std::string system_text(sqlite3* db) {
  const int e = db != nullptr ? sqlite3_system_errno(db) : 0;
  return e != 0 ? ", " + std::error_code(e, std::system_category()).message() : "";
}

bool is_busy(int rc) { return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED; }

// The time a copy has spent waiting for locks on its source, against BackupOptions::busy_limit.
class BusyBudget {
 public:
  explicit BusyBudget(const BackupOptions& options) : options_(options) {}

  // Waits BackupOptions::busy_wait and says true, or says false once the limit is spent.
  bool wait() {
    if (waited_ >= options_.busy_limit) {
      return false;
    }
    std::this_thread::sleep_for(options_.busy_wait);
    waited_ += options_.busy_wait;
    ++retries_;
    return true;
  }
  std::int64_t retries() const { return retries_; }
  BackupFailure exhausted(const fs::path& source) const {
    return failure(StoreError::busy, source.string() + " stayed locked for " +
                                         std::to_string(waited_.count()) +
                                         " ms; nothing was copied, try again later");
  }

 private:
  const BackupOptions& options_;
  std::chrono::milliseconds waited_{0};
  std::int64_t retries_ = 0;
};

// The source, opened read-only: a backup never creates or changes the file it copies.
Result<sqlite::Db, BackupFailure> open_source(const fs::path& source) {
  std::error_code ec;
  if (!fs::is_regular_file(source, ec)) {
    return failure(StoreError::unavailable,
                   "cannot read " + source.string() + ": " +
                       (fs::exists(source, ec) ? "not a regular file" : "no such file"));
  }
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(source.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  sqlite::Db db(raw);
  if (rc != SQLITE_OK) {
    return failure(StoreError::unavailable, "cannot open " + source.string() + ": " +
                                                driver_text(raw, rc) + system_text(raw));
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

// Starts the read transaction every step of the copy then reads from (sqlite3_backup_step
// keeps a transaction it finds open), so the copy is one committed state of the source and is
// never restarted by other connections' commits.
Failed pin_snapshot(sqlite3* db, const fs::path& source, BusyBudget& busy) {
  if (const int rc = sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    return failure(StoreError::unavailable,
                   "cannot read " + source.string() + ": " + driver_text(db, rc));
  }
  while (true) {
    const int rc =
        sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) {
      return {};
    }
    if (!is_busy(rc)) {
      return failure(sqlite::error_for(rc) == StoreError::corrupt ? StoreError::unavailable
                                                                  : sqlite::error_for(rc),
                     "cannot read " + source.string() + ": " + driver_text(db, rc));
    }
    if (!busy.wait()) {
      return busy.exhausted(source);
    }
  }
}

// The copy's file, new: one left by an interrupted backup is replaced.
Result<sqlite::Db, BackupFailure> open_target(const fs::path& partial) {
  std::error_code ec;
  const fs::path folder = partial.has_parent_path() ? partial.parent_path() : fs::path(".");
  if (!fs::is_directory(folder, ec)) {
    return failure(StoreError::io,
                   "cannot write " + partial.string() + ": " + folder.string() +
                       (fs::exists(folder, ec) ? " is not a folder" : " does not exist"));
  }
  fs::remove(partial, ec);
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(partial.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  sqlite::Db db(raw);
  if (rc != SQLITE_OK) {
    return failure(StoreError::io, "cannot write " + partial.string() + ": " +
                                       driver_text(raw, rc) + system_text(raw));
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

// Steps until the copy is done: a locked source is waited out, any other error ends it.
Failed copy_pages(sqlite3* from, sqlite3* to, const fs::path& source, const fs::path& partial,
                  const BackupOptions& options, BusyBudget& busy, BackupCopy& out) {
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (backup == nullptr) {
    return failure(StoreError::io, "cannot start the copy of " + source.string() + " to " +
                                       partial.string() + ": " + driver_text(to, SQLITE_ERROR));
  }
  const int per_step = options.pages_per_step > 0 ? options.pages_per_step : -1;
  int rc = SQLITE_OK;
  while (rc == SQLITE_OK || is_busy(rc)) {
    rc = sqlite3_backup_step(backup, per_step);
    if (is_busy(rc)) {
      if (!busy.wait()) {
        break;
      }
      continue;
    }
    ++out.steps;
    if (options.on_step) {
      const int total = sqlite3_backup_pagecount(backup);
      options.on_step({total - sqlite3_backup_remaining(backup), total});
    }
    if (rc == SQLITE_OK && options.pause_between_steps.count() > 0) {
      std::this_thread::sleep_for(options.pause_between_steps);
    }
  }
  const int finished = sqlite3_backup_finish(backup);
  if (is_busy(rc)) {
    return busy.exhausted(source);
  }
  if (rc != SQLITE_DONE || finished != SQLITE_OK) {
    // sqlite3_backup_finish() leaves the error of either side in the target's connection.
    const int code = rc != SQLITE_DONE ? rc : finished;
    const bool unreadable = (code & 0xff) == SQLITE_NOTADB || (code & 0xff) == SQLITE_CORRUPT;
    return failure(unreadable ? StoreError::unavailable : StoreError::io,
                   "copying " + source.string() + " to " + partial.string() +
                       " failed: " + driver_text(to, code) + system_text(to));
  }
  return {};
}

// The first column of every row `sql` gives, as text.
Result<std::vector<std::string>, BackupFailure> column_of(sqlite3* db, const std::string& sql,
                                                          const fs::path& copy) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
  const sqlite::Statement statement(raw);
  std::vector<std::string> values;
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(raw);
    if (rc == SQLITE_ROW) {
      values.emplace_back(sqlite::column_text(raw, 0));
    }
  }
  if (rc != SQLITE_DONE) {
    return failure(
        sqlite::error_for(rc) == StoreError::corrupt ? StoreError::corrupt : StoreError::io,
        "reading the copy " + copy.string() + " failed (" + sql + "): " + driver_text(db, rc));
  }
  return values;
}

// A copy of a WAL file says WAL in its header; DELETE makes it one self-contained file that
// tools open without writing a -wal and a -shm beside it.
Failed make_single_file(sqlite3* db, const fs::path& copy) {
  auto mode = column_of(db, "PRAGMA journal_mode=DELETE", copy);
  if (!mode) {
    return mode.error();
  }
  if (mode->empty() || mode->front() != "delete") {
    return failure(StoreError::io,
                   "the copy " + copy.string() + " could not leave WAL mode; it is not kept");
  }
  return {};
}

// The integrity check. A damaged b-tree shows as rows of problems, or as SQLITE_CORRUPT from
// the check itself when a page is past reading; either way the source holds the same pages.
Failed check_copy(sqlite3* db, const fs::path& source, const fs::path& copy, bool quick) {
  const std::string pragma = quick ? "PRAGMA quick_check" : "PRAGMA integrity_check";
  auto lines = column_of(db, pragma, copy);
  if (!lines && lines.error().error != StoreError::corrupt) {
    return lines.error();
  }
  if (lines && lines->size() == 1 && lines->front() == "ok") {
    return {};
  }
  std::string found;
  if (!lines) {
    found = "\n  " + lines.error().message;
  }
  for (std::size_t i = 0; lines && i < lines->size() && i < kCheckLinesShown; ++i) {
    found += "\n  " + (*lines)[i];
  }
  return failure(StoreError::corrupt, "the copy of " + source.string() + " failed " + pragma +
                                          ", so " + source.string() +
                                          " itself is damaged; nothing was kept:" + found);
}

// The copy's page size and count, and every table with its rows.
Failed describe_copy(sqlite3* db, const fs::path& copy, BackupCopy& out) {
  auto size = column_of(db, "PRAGMA page_size", copy);
  auto count = size ? column_of(db, "PRAGMA page_count", copy) : size;
  auto names = count ? column_of(db,
                                 "SELECT name FROM sqlite_schema WHERE type = 'table'"
                                 " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                                 copy)
                     : count;
  if (!names) {
    return names.error();
  }
  out.page_size = size->empty() ? 0 : std::stoll(size->front());
  out.page_count = count->empty() ? 0 : std::stoll(count->front());
  for (const std::string& name : *names) {
    std::string quoted;
    for (const char c : name) {
      quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    }
    auto rows = column_of(db, "SELECT count(*) FROM \"" + quoted + "\"", copy);
    if (!rows) {
      return rows.error();
    }
    out.tables.emplace_back(name, rows->empty() ? 0 : std::stoll(rows->front()));
  }
  return {};
}

std::error_code fsync_path(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
  if (fd < 0) {
    return {errno, std::system_category()};
  }
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  return rc == 0 ? std::error_code{} : std::error_code{saved, std::system_category()};
}

// The copy on disk under its own name, surviving a power cut: file, rename, folder. It gets
// the source's permission bits first: it holds the same patient data (the engine makes its
// files 0640).
Failed publish(const fs::path& source, const fs::path& partial, const fs::path& target) {
  std::error_code ec;
  const fs::perms mode = fs::status(source, ec).permissions();
  if (!ec) {
    fs::permissions(partial, mode, fs::perm_options::replace, ec);
  }
  if (!ec) {
    ec = fsync_path(partial, 0);
  }
  if (!ec) {
    fs::rename(partial, target, ec);
  }
  if (!ec) {
    ec = fsync_path(target.has_parent_path() ? target.parent_path() : fs::path("."), O_DIRECTORY);
  }
  if (ec) {
    return failure(StoreError::io, "cannot save " + target.string() + ": " + ec.message());
  }
  return {};
}

// Removes what a failed copy wrote, unless dismissed.
class PartialCleanup {
 public:
  explicit PartialCleanup(fs::path partial) : partial_(std::move(partial)) {}
  ~PartialCleanup() {
    if (armed_) {
      std::error_code ec;
      for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
        fs::remove(partial_.string() + suffix, ec);
      }
    }
  }
  PartialCleanup(const PartialCleanup&) = delete;
  PartialCleanup& operator=(const PartialCleanup&) = delete;
  void dismiss() { armed_ = false; }

 private:
  fs::path partial_;
  bool armed_ = true;
};

// Steps 1 to 3 of backup_sqlite_file(): the copy, made, checked and described, closed.
Failed write_copy(const fs::path& source, const fs::path& partial, const BackupOptions& options,
                  BackupCopy& out) {
  auto from = open_source(source);
  if (!from) {
    return from.error();
  }
  BusyBudget busy(options);
  if (auto pinned = pin_snapshot(from->get(), source, busy); !pinned) {
    return pinned;
  }
  auto to = open_target(partial);
  if (!to) {
    return to.error();
  }
  auto done = copy_pages(from->get(), to->get(), source, partial, options, busy, out);
  out.busy_retries = busy.retries();
  from->reset();  // ends the read transaction: the source's WAL may be checkpointed again
  if (done) {
    done = check_copy(to->get(), source, partial, options.quick_check);
  }
  if (done) {
    done = make_single_file(to->get(), partial);
  }
  if (done) {
    done = describe_copy(to->get(), partial, out);
  }
  return done;
}

}  // namespace

void throw_exception_from_error(const BackupFailure& e, const boost::source_location&) {
  throw std::runtime_error(e.message);
}

std::int64_t BackupCopy::rows(std::string_view table) const {
  for (const auto& [name, count] : tables) {
    if (name == table) {
      return count;
    }
  }
  return -1;
}

Result<BackupCopy, BackupFailure> backup_sqlite_file(const fs::path& source, const fs::path& target,
                                                     const BackupOptions& options) {
  const auto started = Clock::now();
  std::error_code ec;
  if (fs::exists(target, ec) || fs::is_symlink(target, ec)) {
    return failure(StoreError::constraint,
                   "cannot write " + target.string() + ": the file exists already");
  }
  const fs::path partial = target.string() + kPartialSuffix;
  PartialCleanup cleanup(partial);
  BackupCopy out;
  out.source = source;
  out.copy = target;
  if (auto written = write_copy(source, partial, options, out); !written) {
    return written.error();
  }
  if (auto published = publish(source, partial, target); !published) {
    return published.error();
  }
  cleanup.dismiss();
  out.size_bytes = static_cast<std::int64_t>(fs::file_size(target, ec));
  auto digest = sha256_of_file(target);
  if (ec || !digest) {
    return failure(StoreError::io, "cannot read back " + target.string() + ": " +
                                       (ec ? ec.message() : digest.error().message()));
  }
  out.sha256 = std::move(*digest);
  out.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  return out;
}

Result<std::string> sha256_of_file(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::error_code(errno, std::system_category());
  }
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<unsigned char> buffer(1 << 20);
  ssize_t n = 0;
  while ((n = ::read(fd, buffer.data(), buffer.size())) != 0) {
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const std::error_code ec(errno, std::system_category());
      ::close(fd);
      return ec;
    }
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest.data(), &length);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    std::array<char, 3> two{};
    std::snprintf(two.data(), two.size(), "%02x", digest[i]);
    hex += two.data();
  }
  return hex;
}

}  // namespace hisbridge::store
