#include "engine/core/durable_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

namespace hisbridge {
namespace {

namespace fs = std::filesystem;
using boost::system::error_code;

error_code last_error() { return {errno, boost::system::system_category()}; }

bool plain_file_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

// Closes the descriptor on every path out of a function.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  int get() const { return fd_; }
  // Closes now, reporting what close(2) reports (NFS reports write errors there).
  error_code close() {
    return ::close(std::exchange(fd_, -1)) == 0 ? error_code() : last_error();
  }

 private:
  int fd_;
};

template <class Call>
int retry_on_interrupt(Call call) {
  int rc = 0;
  do {
    rc = call();
  } while (rc != 0 && errno == EINTR);
  return rc;
}

// Opens `temporary` and holds its flock. Another writer of the same name may have renamed the
// file away (or removed it) while this one waited for the lock: then the descriptor no longer
// names `temporary`, and the open starts over on whatever the name holds now.
Result<int> open_locked(const fs::path& temporary) {
  for (;;) {
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
      return last_error();
    }
    struct stat held {};
    struct stat named {};
    if (retry_on_interrupt([&] { return ::flock(fd, LOCK_EX); }) != 0 ||
        ::fstat(fd, &held) != 0) {
      const error_code ec = last_error();
      ::close(fd);
      return ec;
    }
    if (::lstat(temporary.c_str(), &named) == 0 && named.st_dev == held.st_dev &&
        named.st_ino == held.st_ino) {
      return fd;
    }
    ::close(fd);
  }
}

error_code write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return last_error();
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Fills the locked temporary and renames it over `target` before the lock is let go: a writer
// waiting for the lock must not truncate the file once it is in place.
error_code fill_and_rename(int fd, std::string_view bytes, const fs::path& temporary,
                           const fs::path& target) {
  if (::ftruncate(fd, 0) != 0) {  // what a power cut left in the temporary
    return last_error();
  }
  if (auto ec = write_all(fd, bytes)) {
    return ec;
  }
  if (::fsync(fd) != 0 || ::rename(temporary.c_str(), target.c_str()) != 0) {
    return last_error();
  }
  return {};
}

// A rename is durable once the folder holding it is flushed.
error_code sync_folder(const fs::path& folder) {
  Descriptor dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0) {
    return last_error();
  }
  return {};
}

}  // namespace

Result<void> write_file_durably(const fs::path& folder, std::string_view name,
                                std::string_view bytes) {
  if (!plain_file_name(name)) {
    return make_error_code(boost::system::errc::invalid_argument);
  }
  const fs::path target = folder / name;
  const fs::path temporary = folder / (std::string(name) + ".tmp");
  auto fd = open_locked(temporary);
  if (!fd) {
    return fd.error();
  }
  Descriptor file(*fd);
  if (auto ec = fill_and_rename(file.get(), bytes, temporary, target)) {
    ::unlink(temporary.c_str());  // still locked: no other writer is using it
    return ec;
  }
  if (auto ec = file.close()) {
    return ec;
  }
  if (auto ec = sync_folder(folder)) {
    return ec;
  }
  return {};
}

}  // namespace hisbridge
