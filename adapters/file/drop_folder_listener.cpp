#include "adapters/file/drop_folder_listener.hpp"
#include "engine/core/clock.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <deque>
#include <optional>
#include <system_error>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/spdlog.h>

#include "adapters/file/file_job.hpp"
#include "adapters/file/stable_files.hpp"
#include "engine/core/durable_file.hpp"
#include "engine/hl7/charset.hpp"

namespace hisbridge::file {

namespace fs = std::filesystem;
namespace net = boost::asio;
using error_code = boost::system::error_code;

namespace {

constexpr std::array<std::string_view, 4> kPartialSuffixes = {".tmp", ".part", ".filepart", "~"};

bool ends_with_nocase(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) {
    return false;
  }
  return std::equal(suffix.begin(), suffix.end(),
                    text.end() - static_cast<std::ptrdiff_t>(suffix.size()), [](char a, char b) {
                      return std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b));
                    });
}

error_code to_error(const std::error_code& ec) {
  return error_code(ec.value(), ec.category() == std::system_category()
                                    ? boost::system::system_category()
                                    : boost::system::generic_category());
}

std::optional<FileState> state_of(const fs::path& path) {
  std::error_code ec;
  FileState s;
  s.size = fs::file_size(path, ec);
  if (!ec) {
    s.modified = fs::last_write_time(path, ec);
  }
  return ec ? std::nullopt : std::optional<FileState>(s);
}

}  // namespace

bool is_drop_candidate(std::string_view name) {
  if (name.empty() || name.front() == '.') {
    return false;
  }
  return std::none_of(kPartialSuffixes.begin(), kPartialSuffixes.end(),
                      [&](std::string_view suffix) { return ends_with_nocase(name, suffix); });
}

fs::path unique_destination(const fs::path& folder, const std::string& name) {
  auto taken = [](const fs::path& p) {
    std::error_code ec;
    return fs::exists(p, ec) || fs::exists(p.string() + ".reason.txt", ec);
  };
  fs::path candidate = folder / name;
  const fs::path plain(name);
  const std::string stem = plain.stem().string();
  const std::string extension = plain.extension().string();
  for (std::size_t n = 1; taken(candidate); ++n) {
    candidate = folder / (stem + "_" + std::to_string(n) + extension);
  }
  return candidate;
}

class DropFolderListener::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(net::io_context& ioc, DropFolderOptions options, router::SourceCallbacks& callbacks)
      : strand_(net::make_strand(ioc)),
        timer_(strand_),
        options_(std::move(options)),
        callbacks_(callbacks) {}

  Result<void> start();
  void stop() {
    net::post(strand_, [self = shared_from_this()] {
      self->stopped_ = true;
      self->timer_.cancel();
    });
  }
  DropFolderCounters counters() const {
    return {files_done_.load(), files_failed_.load(), files_retried_.load(), messages_.load(),
            scans_.load(), paused_polls_.load()};
  }

 private:
  void do_wait();
  void on_wait(error_code ec);
  void scan();
  void process_next();
  bool begin(const std::string& name, const FileState& seen);
  void on_reply(std::size_t index, const router::Reply& reply);
  void finish(const FileJob& job);
  void file_away(const FileJob& job, const fs::path& into, const std::string& reason);

  net::strand<net::io_context::executor_type> strand_;
  net::steady_timer timer_;
  const DropFolderOptions options_;
  router::SourceCallbacks& callbacks_;
  FileJobOptions job_options_;

  // Only touched on the strand.
  bool stopped_ = false;
  StableFiles files_;
  std::deque<std::pair<std::string, FileState>> queue_;  // ready files, in name order
  std::shared_ptr<FileJob> job_;                         // the file whose replies are awaited

  std::atomic<std::uint64_t> files_done_{0};
  std::atomic<std::uint64_t> files_failed_{0};
  std::atomic<std::uint64_t> files_retried_{0};
  std::atomic<std::uint64_t> messages_{0};
  std::atomic<std::uint64_t> scans_{0};
  std::atomic<std::uint64_t> paused_polls_{0};
};

Result<void> DropFolderListener::Impl::start() {
  std::error_code ec;
  if (!fs::exists(options_.folder, ec)) {
    return make_error_code(boost::system::errc::no_such_file_or_directory);
  }
  if (!fs::is_directory(options_.folder, ec)) {
    return make_error_code(boost::system::errc::not_a_directory);
  }
  for (const char* sub : {"done", "error"}) {
    if (fs::create_directories(options_.folder / sub, ec); ec) {
      return to_error(ec);
    }
  }
  if (!options_.charset.empty()) {
    auto charset = hl7::Charset::resolve(options_.charset);
    if (!charset) {
      return make_error_code(boost::system::errc::invalid_argument);
    }
    job_options_.whole_file = charset->form() == hl7::Charset::Form::wide;
  }
  job_options_.max_file_bytes = options_.max_file_bytes;
  net::post(strand_, [self = shared_from_this()] {
    self->scan();
    self->process_next();
  });
  return {};
}

void DropFolderListener::Impl::do_wait() {
  timer_.expires_after(options_.poll_interval);
  timer_.async_wait([self = shared_from_this()](error_code ec) { self->on_wait(ec); });
}

void DropFolderListener::Impl::on_wait(error_code ec) {
  if (ec || stopped_) {
    return;
  }
  if (callbacks_.paused(options_.name)) {
    // Back-pressure: the files wait in the folder; they are listed again once it is over.
    paused_polls_.fetch_add(1);
    return do_wait();
  }
  scan();
  process_next();
}

// Lists the folder and queues the files StableFiles finds ready.
void DropFolderListener::Impl::scan() {
  StableFiles::Listing listing;
  std::error_code ec;
  for (fs::directory_iterator it(options_.folder, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    std::error_code entry_ec;
    if (!is_drop_candidate(name) || !it->is_regular_file(entry_ec)) {
      continue;
    }
    if (auto state = state_of(it->path())) {
      listing.emplace(std::move(name), *state);
    }
  }
  if (ec) {
    spdlog::warn("drop folder {}: cannot list {}: {}", options_.name, options_.folder.string(),
                 ec.message());
  }
  for (auto& ready : files_.update(std::move(listing), StableFiles::Clock::now())) {
    queue_.push_back(std::move(ready));
  }
  scans_.fetch_add(1);
}

// Files already found ready stay queued while the source is paused.
void DropFolderListener::Impl::process_next() {
  while (!stopped_ && !queue_.empty() && !callbacks_.paused(options_.name)) {
    auto [name, seen] = std::move(queue_.front());
    queue_.pop_front();
    if (begin(name, seen)) {
      return;  // on_reply continues when the file's last reply is in
    }
  }
  if (!stopped_) {
    do_wait();
  }
}

// Reads the file and hands each of its messages to Ingest. False when there is nothing to
// wait for: the file is gone or changed since the scan, or was filed away at once.
bool DropFolderListener::Impl::begin(const std::string& name, const FileState& seen) {
  const fs::path path = options_.folder / name;
  if (state_of(path) != seen) {
    return false;  // gone, or written to again: the next scans decide
  }
  auto job = std::make_shared<FileJob>(FileJob::load(path, name, job_options_));
  if (job->failed()) {
    finish(*job);
    return false;
  }
  job_ = job;
  messages_.fetch_add(job->message_count());
  for (std::size_t i = 0; i < job->message_count(); ++i) {
    router::Envelope envelope{std::string(job->message(i)), options_.name, name, unix_now_us()};
    callbacks_.on_message(std::move(envelope), [self = shared_from_this(), i](router::Reply r) {
      net::post(self->strand_, [self, i, r = std::move(r)] { self->on_reply(i, r); });
    });
  }
  return true;
}

void DropFolderListener::Impl::on_reply(std::size_t index, const router::Reply& reply) {
  if (!job_ || !job_->record(index, reply)) {
    return;
  }
  const std::shared_ptr<FileJob> job = std::move(job_);
  finish(*job);
  process_next();
}

void DropFolderListener::Impl::finish(const FileJob& job) {
  files_.forget(job.name());
  if (!job.failed() && job.any_not_stored()) {
    spdlog::warn("drop folder {}: {}: not every message could be stored; sending it again in {} ms",
                 options_.name, job.name(), options_.store_retry_delay.count());
    files_.hold_until(job.name(), StableFiles::Clock::now() + options_.store_retry_delay);
    files_retried_.fetch_add(1);
    return;
  }
  if (job.all_accepted()) {
    file_away(job, options_.folder / "done", {});
    return;
  }
  const std::string reason = job.reason();
  spdlog::warn("drop folder {}: {}", options_.name, reason.substr(0, reason.find('\n')));
  file_away(job, options_.folder / "error", reason);
}

void DropFolderListener::Impl::file_away(const FileJob& job, const fs::path& into,
                                         const std::string& reason) {
  const fs::path target = unique_destination(into, job.name());
  std::error_code ec;
  fs::rename(options_.folder / job.name(), target, ec);
  if (ec) {
    spdlog::error("drop folder {}: cannot move {} to {}: {}; leaving it until it changes",
                  options_.name, job.name(), into.filename().string(), ec.message());
    if (auto state = state_of(options_.folder / job.name())) {
      files_.hold_until_changed(job.name(), *state);
    }
    return;
  }
  (reason.empty() ? files_done_ : files_failed_).fetch_add(1);
  if (reason.empty()) {
    return;
  }
  // Written under a temporary name and renamed, as the folder asks of the files dropped in it:
  // whoever watches error/ (an operator's script, a test) never reads half a reason.
  const std::string reason_name = target.filename().string() + ".reason.txt";
  if (Result<void> written = write_file_durably(into, reason_name, reason); !written) {
    spdlog::error("drop folder {}: cannot write the reason for {}: {}", options_.name,
                  target.filename().string(), written.error().message());
  }
}

DropFolderListener::DropFolderListener(net::io_context& ioc, DropFolderOptions options,
                                       router::SourceCallbacks& callbacks)
    : impl_(std::make_shared<Impl>(ioc, std::move(options), callbacks)) {}

DropFolderListener::~DropFolderListener() { stop(); }

Result<void> DropFolderListener::start() { return impl_->start(); }

void DropFolderListener::stop() { impl_->stop(); }

DropFolderCounters DropFolderListener::counters() const { return impl_->counters(); }

}  // namespace hisbridge::file
