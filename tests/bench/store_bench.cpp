// Journal append throughput against the disk's own limits, measured in the same run on the
// store's folder: how many fdatasync'ed single-row commits the disk does per second, and how
// many MB/s it writes when every MiB is fdatasync'ed. SqliteStore (and PostgresStore when
// HISBRIDGE_TEST_PG names a server) append 2 KiB messages in batches of 1, 16, 256 and 1000;
// GroupCommitter is measured with senders that each wait for their answer before sending
// again, as MLLP senders do. Prints messages/s, commits/s and the ratios to the disk limits
// (target later: >= 30,000 messages/s through group commit).
//
// The folder is HISBRIDGE_BENCH_DIR when set (point it at the disk the journal will live on),
// else the system temp folder.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/store/group_committer.hpp"
#include "engine/store/postgres_store.hpp"
#include "engine/store/sqlite_store.hpp"

namespace {

namespace fs = std::filesystem;
using namespace hisbridge::store;

constexpr std::size_t kMessageBytes = 2048;
constexpr std::int64_t kWindowUs = 10LL * 60 * 1000 * 1000;

const fs::path& bench_dir() {
  static const fs::path dir = [] {
    const char* env = std::getenv("HISBRIDGE_BENCH_DIR");
    fs::path base = env != nullptr && *env != '\0' ? fs::path(env) : fs::temp_directory_path();
    fs::path d = base / ("hisbridge_store_bench_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// A 2 KiB ORU^R01 with a control id that next() rewrites in place, so every message is new
// (the duplicate check runs and finds nothing, as in normal traffic) without allocating.
// Each source numbers its messages from its own block, so no two sources repeat an id.
class MessageSource {
 public:
  MessageSource() : n_(next_block_.fetch_add(1) * 100'000'000ULL) {
    std::string raw =
        "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500+0700||ORU^R01^ORU_R01|000000000000|P|2.5.1|||"
        "AL|NE||UNICODE UTF-8\r"
        "PID|1||BN0000123^^^HOSP^MR||Nguyễn^Văn An||19800101|M|||12 Lê Lợi^^Huế^^530000\r"
        "PV1|1|O|KHAMBENH^P101^1|||||||||||||||V0000456\r"
        "ORC|RE|ORD0000789|LAB0000789||CM\r"
        "OBR|1|ORD0000789|LAB0000789|CBC^Complete blood count^L|||20260305074500+0700\r";
    for (int i = 1; raw.size() < kMessageBytes - 80; ++i) {
      raw += "OBX|" + std::to_string(i) + "|NM|718-7^Hemoglobin^LN||13.5|g/dL|12-16|N|||F\r";
    }
    raw.resize(kMessageBytes - 1, 'x');
    raw += '\r';
    id_at_ = raw.find("000000000000");
    patient_at_ = raw.find("BN0000123");
    m_.raw = std::move(raw);
    m_.source = "lis";
    m_.peer = "10.1.2.3:51234";
    m_.control_id = "000000000000";
    m_.sending_application = "LIS";
    m_.sending_facility = "LAB";
    m_.message_type = "ORU^R01";
    m_.patient_id = "BN0000123";
  }

  // Rewrites `m` into the next message (same sizes, new control id and time).
  void next(NewMessage& m) {
    if (m.raw.empty()) {
      m = m_;
    }
    ++n_;
    char digits[13];
    std::snprintf(digits, sizeof digits, "%012llu", static_cast<unsigned long long>(n_));
    m.control_id.assign(digits, 12);
    m.raw.replace(id_at_, 12, digits, 12);
    m.received_at_us = 1772673300LL * 1000 * 1000 + static_cast<std::int64_t>(n_);
    // One of 100,000 patients, in no order: the patient index is written all over.
    patient_ = patient_ * 6364136223846793005ULL + 1442695040888963407ULL;
    std::snprintf(digits, sizeof digits, "%07llu",
                  static_cast<unsigned long long>((patient_ >> 33) % 100000));
    m.patient_id.replace(2, 7, digits, 7);
    m.raw.replace(patient_at_ + 2, 7, digits, 7);
  }

 private:
  static inline std::atomic<std::uint64_t> next_block_{1};
  NewMessage m_;
  std::size_t id_at_ = 0;
  std::size_t patient_at_ = 0;
  std::uint64_t n_;
  std::uint64_t patient_ = n_;
};

void append_loop(benchmark::State& state, Store& store) {
  const auto batch_size = static_cast<std::size_t>(state.range(0));
  MessageSource source;
  std::vector<NewMessage> batch(batch_size);
  for (auto _ : state) {
    for (NewMessage& m : batch) {
      source.next(m);
    }
    auto appended = store.append(batch, kWindowUs);
    if (!appended) {
      state.SkipWithError(appended.error().message().c_str());
      return;
    }
  }
  const auto n = static_cast<std::int64_t>(state.iterations()) *
                 static_cast<std::int64_t>(batch_size);
  state.SetItemsProcessed(n);
  state.SetBytesProcessed(n * static_cast<std::int64_t>(kMessageBytes));
}

// Disk limit 1: single-row commits, i.e. a 2 KiB write and fdatasync, in a loop.
void BM_DiskFdatasync(benchmark::State& state) {
  const fs::path file = bench_dir() / "fsync.probe";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const std::string block(kMessageBytes, 'x');
  for (auto _ : state) {
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) ||
        ::fdatasync(fd) != 0) {
      state.SkipWithError("write/fdatasync failed");
      break;
    }
  }
  ::close(fd);
  fs::remove(file);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Disk limit 2: bandwidth, writing 1 MiB then fdatasync.
void BM_DiskWriteMiB(benchmark::State& state) {
  const fs::path file = bench_dir() / "bandwidth.probe";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const std::string block(1 << 20, 'x');
  for (auto _ : state) {
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) ||
        ::fdatasync(fd) != 0) {
      state.SkipWithError("write/fdatasync failed");
      break;
    }
  }
  ::close(fd);
  fs::remove(file);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * (1 << 20));
}

// HISBRIDGE_BENCH_PAGE_SIZE and HISBRIDGE_BENCH_CHECKPOINT_PAGES try other settings.
SqliteOptions sqlite_options() {
  SqliteOptions o;
  if (const char* v = std::getenv("HISBRIDGE_BENCH_PAGE_SIZE")) {
    o.page_size = std::atoi(v);
  }
  if (const char* v = std::getenv("HISBRIDGE_BENCH_CHECKPOINT_PAGES")) {
    o.wal_autocheckpoint_pages = std::atoi(v);
  }
  return o;
}

void BM_SqliteAppend(benchmark::State& state) {
  const fs::path file = bench_dir() / ("append_" + std::to_string(state.range(0)) + ".db");
  auto store = SqliteStore::open(file, sqlite_options());
  if (!store) {
    state.SkipWithError(store.error().message().c_str());
    return;
  }
  append_loop(state, **store);
}

// `senders` senders, each sending its next message only when the answer to the previous one
// has come back, as MLLP senders do. A sender's next message is submitted from the answer's
// callback, so the figure is the journal's and not the scheduling of hundreds of threads.
class Senders {
 public:
  Senders(GroupCommitter& committer, int senders, int per_sender)
      : committer_(committer), senders_(static_cast<std::size_t>(senders)) {
    for (Sender& s : senders_) {
      s.left = per_sender;
    }
    active_ = senders;
  }

  void run() {
    for (Sender& s : senders_) {
      send(s);
    }
    std::unique_lock lock(mutex_);
    finished_.wait(lock, [&] { return active_ == 0; });
  }

 private:
  struct Sender {
    MessageSource source;
    NewMessage next;
    int left = 0;
  };

  void send(Sender& s) {
    s.source.next(s.next);
    committer_.submit(s.next, [this, &s](hisbridge::Result<Appended>) {
      if (--s.left > 0) {
        send(s);
        return;
      }
      const std::lock_guard lock(mutex_);
      if (--active_ == 0) {
        finished_.notify_one();
      }
    });
  }

  GroupCommitter& committer_;
  std::vector<Sender> senders_;
  std::mutex mutex_;
  std::condition_variable finished_;
  int active_ = 0;
};

void BM_SqliteGroupCommit(benchmark::State& state) {
  const auto senders = static_cast<int>(state.range(0));
  const fs::path file = bench_dir() / ("group_" + std::to_string(senders) + ".db");
  auto store = SqliteStore::open(file, sqlite_options());
  if (!store) {
    state.SkipWithError(store.error().message().c_str());
    return;
  }
  GroupCommitter committer(std::move(*store));
  constexpr int kMessages = 40000;
  const int per_sender = kMessages / senders;
  for (auto _ : state) {
    Senders(committer, senders, per_sender).run();
  }
  const auto counters = committer.counters();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * senders * per_sender);
  state.counters["msgs_per_commit"] =
      static_cast<double>(counters.messages) / static_cast<double>(counters.commits);
}

// A throw-away database on the HISBRIDGE_TEST_PG server, dropped at exit.
class PgBenchDatabase {
 public:
  static PgBenchDatabase* get() {
    static std::unique_ptr<PgBenchDatabase> db = [] {
      const char* server = std::getenv("HISBRIDGE_TEST_PG");
      if (server == nullptr || *server == '\0') {
        return std::unique_ptr<PgBenchDatabase>();
      }
      auto d = std::make_unique<PgBenchDatabase>(server);
      return d->run("CREATE DATABASE " + d->name_) ? std::move(d) : nullptr;
    }();
    return db.get();
  }
  explicit PgBenchDatabase(std::string server)
      : server_(std::move(server)), name_("hisbridge_bench_" + std::to_string(::getpid())) {}
  ~PgBenchDatabase() { run("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)"); }
  // The server's settings as key=value, with our database.
  std::string conninfo() const {
    std::string out;
    PQconninfoOption* options = PQconninfoParse(server_.c_str(), nullptr);
    for (PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
      const bool is_db = std::string_view(o->keyword) == "dbname";
      if (is_db || o->val != nullptr) {
        out.append(o->keyword).append("='").append(is_db ? name_ : o->val).append("' ");
      }
    }
    PQconninfoFree(options);
    return out;
  }
  bool run(const std::string& sql) const {
    PGconn* conn = PQconnectdb(server_.c_str());
    PGresult* r = PQexec(conn, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    PQfinish(conn);
    return ok;
  }

 private:
  std::string server_;
  std::string name_;
};

void BM_PostgresAppend(benchmark::State& state) {
  PgBenchDatabase* db = PgBenchDatabase::get();
  if (db == nullptr) {
    state.SkipWithError("HISBRIDGE_TEST_PG not set (or the server refused a new database)");
    return;
  }
  auto store = PostgresStore::open(db->conninfo());
  if (!store) {
    state.SkipWithError(store.error().message().c_str());
    return;
  }
  append_loop(state, **store);
}

BENCHMARK(BM_DiskFdatasync)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_DiskWriteMiB)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_SqliteAppend)->Arg(1)->Arg(16)->Arg(256)->Arg(1000)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_SqliteGroupCommit)->Arg(16)->Arg(64)->Arg(256)->UseRealTime()->Iterations(1);

// Plain text (no colour codes: the output is usually kept in a file), plus the figures each
// run measured, for the closing ratios.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  RatioReporter() : ConsoleReporter(OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      std::string name = run.run_name.function_name;
      if (!run.run_name.args.empty()) {
        name += "/" + run.run_name.args;
      }
      for (const char* counter : {"items_per_second", "bytes_per_second", "msgs_per_commit"}) {
        auto it = run.counters.find(counter);
        if (it != run.counters.end()) {
          values_[name + " " + counter] = it->second.value;
        }
      }
    }
  }
  double value(const std::string& name, const char* counter) const {
    auto it = values_.find(name + " " + counter);
    return it == values_.end() ? 0.0 : it->second;
  }

 private:
  std::map<std::string, double> values_;
};

void print_ratios(const RatioReporter& r) {
  const double fsyncs = r.value("BM_DiskFdatasync", "items_per_second");
  const double disk_mb = r.value("BM_DiskWriteMiB", "bytes_per_second") / 1e6;
  std::printf(
      "\ndisk (%s): %.0f fdatasync'ed 2 KiB writes/s; %.0f MB/s with an fdatasync per MiB\n",
      bench_dir().parent_path().c_str(), fsyncs, disk_mb);
  for (const char* store : {"BM_SqliteAppend", "BM_PostgresAppend"}) {
    for (const int batch : {1, 16, 256, 1000}) {
      const double msgs =
          r.value(std::string(store) + "/" + std::to_string(batch), "items_per_second");
      if (msgs <= 0) {
        continue;
      }
      const double commits = msgs / batch;
      std::printf(
          "%-18s batch %4d: %8.0f msgs/s, %6.0f commits/s = %5.1f%% of fdatasync/s, "
          "%5.1f MB/s of messages = %5.1f%% of disk bandwidth\n",
          store + 3, batch, msgs, commits, fsyncs > 0 ? 100.0 * commits / fsyncs : 0.0,
          msgs * kMessageBytes / 1e6,
          disk_mb > 0 ? 100.0 * msgs * kMessageBytes / 1e6 / disk_mb : 0.0);
    }
  }
  for (const int senders : {16, 64, 256}) {
    const std::string name = "BM_SqliteGroupCommit/" + std::to_string(senders);
    const double msgs = r.value(name, "items_per_second");
    if (msgs > 0) {
      std::printf("SqliteGroupCommit  %3d senders waiting for their ACK: %8.0f msgs/s, %.1f msgs "
                  "per commit\n",
                  senders, msgs, r.value(name, "msgs_per_commit"));
    }
  }
}

}  // namespace

BENCHMARK(BM_PostgresAppend)->Arg(1)->Arg(16)->Arg(256)->Arg(1000)->UseRealTime()->MinTime(2.0);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_ratios(reporter);
  benchmark::Shutdown();
  std::error_code ec;
  fs::remove_all(bench_dir(), ec);
  return 0;
}
