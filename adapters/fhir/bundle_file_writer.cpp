#include "adapters/fhir/bundle_file_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>

#include "adapters/fhir/error.hpp"

namespace hisbridge::fhir {
namespace {

boost::system::error_code last_error() { return {errno, boost::system::system_category()}; }

bool valid_name(std::string_view name) {
  return !name.empty() && !name.starts_with('.') && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

// Unique among the writers of this process and of others (the pid).
std::string temporary_name(std::string_view name) {
  static std::atomic<unsigned long> counter{0};
  return "." + std::string(name) + ".json." + std::to_string(::getpid()) + "-" +
         std::to_string(counter.fetch_add(1)) + ".tmp";
}

// Closes the descriptor when it goes out of scope.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting what close reports (NFS reports write errors there).
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

boost::system::error_code write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return last_error();
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Creates `path` anew with `bytes`, flushed to disk.
boost::system::error_code write_file(const std::filesystem::path& path, std::string_view bytes) {
  Descriptor file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (file.get() < 0) {
    return last_error();
  }
  if (auto ec = write_all(file.get(), bytes)) {
    return ec;
  }
  if (::fsync(file.get()) != 0 || !file.close()) {
    return last_error();
  }
  return {};
}

// A rename is durable once the folder holding it is flushed.
boost::system::error_code sync_folder(const std::filesystem::path& folder) {
  Descriptor dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0) {
    return last_error();
  }
  return {};
}

}  // namespace

Result<std::filesystem::path> BundleFileWriter::write(const nlohmann::json& bundle,
                                                      std::string_view name) const {
  if (!valid_name(name)) {
    return make_error_code(Error::invalid_name);
  }
  const std::string text = bundle.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::filesystem::path temporary = folder_ / temporary_name(name);
  const std::filesystem::path target = folder_ / (std::string(name) + ".json");
  if (auto ec = write_file(temporary, text)) {
    ::unlink(temporary.c_str());
    return ec;
  }
  if (::rename(temporary.c_str(), target.c_str()) != 0) {
    const auto ec = last_error();
    ::unlink(temporary.c_str());
    return ec;
  }
  if (auto ec = sync_folder(folder_)) {
    return ec;
  }
  return target;
}

}  // namespace hisbridge::fhir
