#include "adapters/xml130/folder_io.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "engine/core/durable_file.hpp"

namespace hisbridge::xml130 {
namespace {

namespace fs = std::filesystem;

Xml130Failure io_error(const std::string& what, const fs::path& path, int error) {
  return fail(Xml130Error::io, what + " " + path.string() + ": " + std::strerror(error));
}

// Closes `fd` on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  int get() const { return fd_; }
  // Closes now, reporting the error close(2) gives (NFS reports write errors there).
  int close() {
    const int rc = ::close(std::exchange(fd_, -1));
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

}  // namespace

Xml130Result<std::string> episode_file_name(std::string_view ma_lk) {
  const bool bad_char = ma_lk.find_first_not_of(
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
                        std::string_view::npos;
  if (ma_lk.empty() || bad_char || ma_lk.front() == '.') {
    return fail(Xml130Error::invalid_record,
                "MA_LK \"" + std::string(ma_lk) +
                    "\" cannot name a file: only A-Z a-z 0-9 . _ - are allowed, not first a dot");
  }
  return std::string(ma_lk) + ".xml";
}

Xml130Result<std::optional<std::string>> read_file_if_exists(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      return std::optional<std::string>();
    }
    return io_error("cannot open", path, errno);
  }
  std::string bytes;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return io_error("cannot read", path, errno);
    }
    if (n == 0) {
      return std::optional<std::string>(std::move(bytes));
    }
    bytes.append(buffer, static_cast<std::size_t>(n));
  }
}

Xml130Result<void> replace_file(const fs::path& folder, const std::string& name,
                                std::string_view bytes) {
  if (auto written = write_file_durably(folder, name, bytes); !written) {
    return fail(Xml130Error::io, "cannot write " + (folder / name).string() + ": " +
                                     written.error().message());
  }
  return {};
}

Xml130Result<void> sync_folder(const fs::path& folder) {
  Fd fd(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    return io_error("cannot open folder", folder, errno);
  }
  if (::fsync(fd.get()) != 0) {
    return io_error("cannot fsync folder", folder, errno);
  }
  return {};
}

Xml130Result<FolderLock> FolderLock::acquire(const fs::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return io_error("cannot open folder", folder, errno);
  }
  FolderLock lock(fd);
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      return io_error("cannot lock folder", folder, errno);
    }
  }
  return lock;
}

FolderLock::FolderLock(FolderLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

FolderLock& FolderLock::operator=(FolderLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) {
    ::close(fd_);  // closing the descriptor releases the flock
  }
}

}  // namespace hisbridge::xml130
