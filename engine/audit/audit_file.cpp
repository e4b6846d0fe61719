#include "engine/audit/audit_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <system_error>

#include "engine/core/clock.hpp"

namespace hisbridge::audit {
namespace {

using nlohmann::ordered_json;

// A name's file is swapped by a rotation at most once per line another process writes; this
// many swaps in a row while one line waits means something outside keeps replacing it.
constexpr int kMaxReopens = 1000;

std::string errno_text(int error) { return std::generic_category().message(error); }

// O_APPEND: every write(2) lands at the end as one piece, whoever else appends.
int open_append(const std::filesystem::path& file) {
  int fd = -1;
  do {
    fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Flushes the folder, so that a file created or renamed in it is still there after a power
// cut. Best effort: some file systems cannot sync a folder, and the lines are synced anyway.
void sync_folder(const std::filesystem::path& file) {
  const std::filesystem::path folder =
      file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

int lock_exclusive(int fd) {
  int r = 0;
  do {
    r = ::flock(fd, LOCK_EX);
  } while (r != 0 && errno == EINTR);
  return r;
}

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// The new file of a rotation belongs to whoever owned the old one: when `hisbridge replay`
// runs as root and rotates, the engine (its own user) can still append. Only root may give a
// file away; for anyone else both files are theirs already.
void keep_owner(int old_fd, int new_fd) {
  struct stat old_file {};
  struct stat new_file {};
  if (::fstat(old_fd, &old_file) == 0 && ::fstat(new_fd, &new_file) == 0 &&
      (old_file.st_uid != new_file.st_uid || old_file.st_gid != new_file.st_gid)) {
    static_cast<void>(::fchown(new_fd, old_file.st_uid, old_file.st_gid));
  }
}

std::filesystem::path numbered(const std::filesystem::path& file, std::size_t n) {
  return file.string() + "." + std::to_string(n);
}

// The flock taken in append() is released whatever way it returns.
class Unlock {
 public:
  explicit Unlock(const int& fd) : fd_(fd) {}
  ~Unlock() {
    if (fd_ >= 0) {
      ::flock(fd_, LOCK_UN);
    }
  }
  Unlock(const Unlock&) = delete;
  Unlock& operator=(const Unlock&) = delete;

 private:
  const int& fd_;  // the descriptor as it is at the end: a rotation replaces it
};

}  // namespace

std::string iso_utc(std::int64_t at_us) {
  std::int64_t seconds = at_us / 1'000'000;
  std::int64_t micros = at_us % 1'000'000;
  if (micros < 0) {
    micros += 1'000'000;
    --seconds;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[96];  // room for any int the fields may hold, so nothing is cut
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(micros));
  return text;
}

std::string format_line(const Entry& entry, std::int64_t at_us) {
  const ordered_json line{{"at", iso_utc(at_us)},
                          {"actor", entry.actor},
                          {"from", entry.from},
                          {"action", entry.action},
                          {"detail", entry.detail.is_null() ? ordered_json::object() : entry.detail}};
  return line.dump(-1, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

FileOptions file_options(const config::AuditConfig& config) {
  return {config.file, config.max_size_bytes, config.keep};
}

Result<std::unique_ptr<AuditFile>, std::string> AuditFile::open(FileOptions options) {
  const std::string name = "audit file " + options.file.string();
  if (options.file.empty() || !options.file.has_filename()) {
    return {boost::system::in_place_error, "the audit file has no name: '" + options.file.string() +
                                               "'"};
  }
  if (options.max_size_bytes <= 0) {
    return {boost::system::in_place_error, name + ": max_size must be more than 0 bytes"};
  }
  if (options.file.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(options.file.parent_path(), ec);
    if (ec) {
      return {boost::system::in_place_error, name + ": cannot create its folder " +
                                                 options.file.parent_path().string() + ": " +
                                                 ec.message()};
    }
  }
  const int fd = open_append(options.file);
  if (fd < 0) {
    return {boost::system::in_place_error,
            name + ": cannot open it for appending: " + errno_text(errno)};
  }
  sync_folder(options.file);
  return std::unique_ptr<AuditFile>(new AuditFile(std::move(options), fd));
}

AuditFile::~AuditFile() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

std::string AuditFile::failed(const std::string& what) const {
  return "audit file " + options_.file.string() + ": " + what;
}

Result<void, std::string> AuditFile::append(const Entry& entry) {
  const std::lock_guard lock(mutex_);
  if (auto locked = lock_current(); !locked) {
    return locked;
  }
  const Unlock unlock(fd_);
  // Stamped under the lock, so the lines of a file are in the order of their times.
  const std::string line = format_line(entry, unix_now_us());
  if (auto room = rotate_if_full(line.size()); !room) {
    return room;
  }
  return write_line(line);
}

Result<void, std::string> AuditFile::lock_current() {
  for (int attempt = 0; attempt < kMaxReopens; ++attempt) {
    if (fd_ < 0) {
      fd_ = open_append(options_.file);
      if (fd_ < 0) {
        return {boost::system::in_place_error,
                failed("cannot open it for appending: " + errno_text(errno))};
      }
      sync_folder(options_.file);
    }
    if (lock_exclusive(fd_) != 0) {
      return {boost::system::in_place_error, failed("cannot lock it: " + errno_text(errno))};
    }
    struct stat held {};
    struct stat named {};
    if (::fstat(fd_, &held) == 0 && ::stat(options_.file.c_str(), &named) == 0 &&
        same_file(held, named)) {
      return {};
    }
    // Another process rotated it while this one waited for the lock (or something outside
    // moved or deleted it): the line goes to the file the name names now.
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
    fd_ = -1;
  }
  return {boost::system::in_place_error,
          failed("it is replaced faster than a line can be written to it")};
}

Result<void, std::string> AuditFile::rotate_if_full(std::size_t line_bytes) {
  struct stat held {};
  if (::fstat(fd_, &held) != 0) {
    return {boost::system::in_place_error, failed("cannot read its size: " + errno_text(errno))};
  }
  const auto size = static_cast<std::int64_t>(held.st_size);
  if (size == 0 || size + static_cast<std::int64_t>(line_bytes) <= options_.max_size_bytes) {
    return {};
  }
  return rotate();
}

// Called with the flock held: FILE.<keep> goes, every FILE.<n> moves up one, FILE becomes
// FILE.1, and the new FILE is locked before the old one is let go, so that the processes
// waiting on the old one find the new name and wait their turn behind this line.
Result<void, std::string> AuditFile::rotate() {
  const std::filesystem::path& file = options_.file;
  const auto gone = options_.keep == 0 ? file : numbered(file, options_.keep);
  if (::unlink(gone.c_str()) != 0 && errno != ENOENT) {
    return {boost::system::in_place_error,
            failed("cannot rotate: delete " + gone.string() + ": " + errno_text(errno))};
  }
  for (std::size_t n = options_.keep; n > 0; --n) {
    const auto from = n == 1 ? file : numbered(file, n - 1);
    const auto to = numbered(file, n);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
      return {boost::system::in_place_error, failed("cannot rotate: rename " + from.string() +
                                                    " to " + to.string() + ": " +
                                                    errno_text(errno))};
    }
  }
  const int fresh = open_append(file);
  if (fresh < 0) {
    return {boost::system::in_place_error,
            failed("cannot create it after the rotation: " + errno_text(errno))};
  }
  keep_owner(fd_, fresh);
  if (lock_exclusive(fresh) != 0) {
    const int error = errno;
    ::close(fresh);
    return {boost::system::in_place_error, failed("cannot lock it: " + errno_text(error))};
  }
  sync_folder(file);
  ::close(fd_);  // lets the old file's waiters go: they find the new name
  fd_ = fresh;
  return {};
}

Result<void, std::string> AuditFile::write_line(const std::string& line) {
  // One write(2) for the whole line: O_APPEND puts it at the end in one piece. Only a write
  // cut short (a signal, a full disk) takes a second call, still under the lock.
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      if (done > 0) {
        // Part of a line is not a line: cut it off again so the file stays whole lines.
        struct stat held {};
        if (::fstat(fd_, &held) == 0) {
          static_cast<void>(::ftruncate(fd_, held.st_size - static_cast<off_t>(done)));
        }
      }
      return {boost::system::in_place_error, failed("cannot write: " + errno_text(error))};
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0) {
    return {boost::system::in_place_error,
            failed("cannot flush it to disk: " + errno_text(errno))};
  }
  return {};
}

}  // namespace hisbridge::audit
