// End-to-end MLLP ingest: messages/s and ACK latency (p50/p99) of the engine `hisbridge serve`
// runs (app::Engine: MLLP listener, ingest, group commit, journal, and the router processing
// after the ACK), driven over loopback by the load generator in mllp_load.cpp: K connections,
// W messages in flight on each, every ACK checked against the MSH-10 it answers. Measured in
// the same run:
//   (1) SQLite journal, durable (WAL fsync'ed before each ACK);
//   (2) PostgreSQL journal, durable (skipped unless HISBRIDGE_TEST_PG names a server);
//   (3) the same listener and ingest answering without storing (a journal that writes
//       nothing), the ceiling the disk leaves out;
//   (4) the same listener answering each message after writing it to a file and an fdatasync,
//       on the listener's own thread, and nothing else (1 x 1 only): the most any design that
//       acknowledges after a flush can reach over this loopback, against which the 1 x 1
//       target's "70% of the disk's single-row commits" can be read;
//   (5) the disk's own limits on the store's folder: single-row commits (a 2 KiB write and
//       fdatasync) per second, and 1,000-row commits (2,000 KiB and fdatasync) per second;
//       and what SQLite alone allows there: single-row commits into a bare table and into one
//       with an index, as the journal commits (WAL, synchronous=FULL), without network.
// The closing table gives each figure with its target and the ratio. A wrong, negative or
// missing ACK fails the run (exit status 1); a missed target is reported, not failed, since the
// figures depend on the machine.
//
// Each scenario runs HISBRIDGE_BENCH_SECONDS (default 3) after a warm-up; with
// --benchmark_min_time below 1 (scripts/test passes 0.05) or HISBRIDGE_BENCH_QUICK=1 it runs
// a fraction of a second, as a smoke test. The store's folder is HISBRIDGE_BENCH_DIR when set,
// else the system temp folder.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "adapters/mllp/mllp_listener.hpp"
#include "engine/app/engine.hpp"
#include "engine/config/config.hpp"
#include "engine/hl7/ack.hpp"
#include "engine/hl7/message.hpp"
#include "engine/router/ingest.hpp"
#include "engine/store/group_committer.hpp"
#include "engine/store/open_store.hpp"
#include "engine/store/sqlite_db.hpp"
#include "engine/store/sqlite_store.hpp"
#include "tests/bench/mllp_load.hpp"
#include "tests/bench/quick_run.hpp"

namespace {

namespace fs = std::filesystem;
using namespace hisbridge;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kRowBytes = 2048;

// ---- settings ----

struct Settings {
  bool quick = false;
  std::chrono::milliseconds warmup{500};
  std::chrono::milliseconds measure{3000};
  double disk_seconds = 2.0;
};

Settings& settings() {
  static Settings s;
  return s;
}

// A short smoke run (quick_run()): each scenario 0.4 s.
void read_settings() {
  Settings& s = settings();
  s.quick = bench::quick_run();
  if (s.quick) {
    s.warmup = std::chrono::milliseconds(100);
    s.measure = std::chrono::milliseconds(400);
    s.disk_seconds = 0.25;
  }
  if (const char* v = std::getenv("HISBRIDGE_BENCH_SECONDS"); v != nullptr && std::atof(v) > 0) {
    s.measure = std::chrono::milliseconds(static_cast<long>(std::atof(v) * 1000));
  }
}

const fs::path& bench_dir() {
  static const fs::path dir = [] {
    const char* env = std::getenv("HISBRIDGE_BENCH_DIR");
    fs::path base = env != nullptr && *env != '\0' ? fs::path(env) : fs::temp_directory_path();
    fs::path d = base / ("hisbridge_ingest_bench_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// A fresh folder per scenario, removed when it ends.
class ScenarioDir {
 public:
  ScenarioDir() : path_(bench_dir() / ("s" + std::to_string(next_++))) {
    fs::create_directories(path_);
  }
  ~ScenarioDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  static inline int next_ = 0;
  fs::path path_;
};

// ---- results ----

struct Row {
  std::string name;
  bench::LoadResult load;
  std::string note;
};

std::vector<Row>& rows() {
  static std::vector<Row> r;
  return r;
}

bool g_failed = false;
unsigned g_run_number = 0;   // keeps MSH-10 unique across the runs of one journal

void record(benchmark::State& state, const std::string& name, const bench::LoadResult& r,
            std::string note = {}) {
  state.SetIterationTime(r.seconds > 0 ? r.seconds : 1e-9);
  state.counters["msgs_per_s"] = r.messages_per_second;
  state.counters["p50_ms"] = r.p50_ms;
  state.counters["p99_ms"] = r.p99_ms;
  if (!r.ok()) {
    g_failed = true;
    std::fprintf(stderr, "%s: FAILED: %s (negative %llu, mismatched %llu, unanswered %llu)\n",
                 name.c_str(), r.error.c_str(), static_cast<unsigned long long>(r.negative),
                 static_cast<unsigned long long>(r.mismatched),
                 static_cast<unsigned long long>(r.unanswered));
    state.SkipWithError(r.error.empty() ? "ACK check failed" : r.error.c_str());
  }
  rows().push_back(Row{name, r, std::move(note)});
}

// ---- the disk's limits ----

// Commits of `row_count` 2 KiB rows: one write of row_count * 2 KiB and an fdatasync, in
// place in a file written once beforehand (as SQLite's WAL is rewritten in place after each
// checkpoint). Gives commits per second and the latency of one commit (p50, p99).
//
// With `keep_awake` a second thread spins meanwhile. On a virtual machine an idle guest may
// notice the flush's completion only at its next timer tick (4 ms at HZ=250) when the host is
// busy; a busy guest notices at once. The engine under load is busy, so the awake figure is
// the disk's own limit, and the idle one shows what a lone waiting thread sees.
struct DiskFigures {
  double commits_per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

// While alive, a second thread spins (see above), when asked to.
class KeepAwake {
 public:
  explicit KeepAwake(bool keep_awake) {
    if (keep_awake) {
      spinner_ = std::thread([this] {
        while (!finished_.load(std::memory_order_relaxed)) {
        }
      });
    }
  }
  ~KeepAwake() {
    finished_ = true;
    if (spinner_.joinable()) {
      spinner_.join();
    }
  }
  KeepAwake(const KeepAwake&) = delete;
  KeepAwake& operator=(const KeepAwake&) = delete;

 private:
  std::atomic<bool> finished_{false};
  std::thread spinner_;
};

DiskFigures figures_of(std::vector<double>& latencies_ms, double elapsed_seconds) {
  if (latencies_ms.empty()) {
    return {};
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const auto at_quantile = [&](double q) {
    return latencies_ms[static_cast<std::size_t>(q * static_cast<double>(latencies_ms.size() - 1))];
  };
  return {static_cast<double>(latencies_ms.size()) / elapsed_seconds, at_quantile(0.5),
          at_quantile(0.99)};
}

// A file of `span` bytes written in blocks of `block_bytes` and fsync'ed, opened for writing
// in place (as SQLite's WAL is rewritten after each checkpoint); -1 when it cannot be opened.
int written_file(const fs::path& file, std::size_t span, std::size_t block_bytes) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fd;
  }
  const std::string block(block_bytes, 'x');
  for (std::size_t at = 0; at < span; at += block_bytes) {
    if (::pwrite(fd, block.data(), block_bytes, static_cast<off_t>(at)) < 0) {
      break;
    }
  }
  ::fsync(fd);
  return fd;
}

DiskFigures disk_commits(std::size_t row_count, bool keep_awake) {
  const KeepAwake awake(keep_awake);
  const fs::path file = bench_dir() / "disk.probe";
  const std::size_t bytes = row_count * kRowBytes;
  const std::size_t span = std::max<std::size_t>(bytes * 16, std::size_t{32} << 20);
  const int fd = written_file(file, span, bytes);
  if (fd < 0) {
    return {};
  }
  const std::string block(bytes, 'x');
  std::vector<double> latencies_ms;
  std::size_t at = 0;
  const Clock::time_point start = Clock::now();
  Clock::time_point now = start;
  while (now - start < std::chrono::duration<double>(settings().disk_seconds)) {
    if (::pwrite(fd, block.data(), bytes, static_cast<off_t>(at)) !=
            static_cast<ssize_t>(bytes) ||
        ::fdatasync(fd) != 0) {
      latencies_ms.clear();
      break;
    }
    const Clock::time_point done = Clock::now();
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(done - now).count());
    now = done;
    at = at + 2 * bytes > span ? 0 : at + bytes;
  }
  ::close(fd);
  fs::remove(file);
  return figures_of(latencies_ms, std::chrono::duration<double>(now - start).count());
}

// What SQLite itself allows, the floor under any journal kept in it as the journal is
// (store::SqliteOptions: WAL, synchronous=FULL, the same page size): single-row commits of a
// 2 KiB row into a bare table, and into a table with one index on a 40-byte key, the least a
// journal that finds duplicates by (control id, sender) has to update. No network, no
// threads: the commit and its flush alone. Returns nothing when SQLite fails.
DiskFigures sqlite_commits(bool with_key_index) {
  const KeepAwake awake(true);
  const fs::path file = bench_dir() / (with_key_index ? "floor-indexed.db" : "floor.db");
  auto db = store::sqlite::open_file(file, "bench");
  if (!db) {
    return {};
  }
  const std::string setup =
      "PRAGMA page_size=" + std::to_string(store::SqliteOptions{}.page_size) +
      ";PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL"
      ";CREATE TABLE probe(id INTEGER PRIMARY KEY, key TEXT NOT NULL, raw BLOB NOT NULL)" +
      (with_key_index ? std::string(";CREATE INDEX probe_key ON probe(key)") : std::string());
  if (!store::sqlite::exec(db->get(), setup.c_str())) {
    return {};
  }
  auto insert = store::sqlite::prepare(db->get(), "INSERT INTO probe(key, raw) VALUES (?, ?)");
  if (!insert) {
    return {};
  }
  const std::string raw(kRowBytes, 'x');
  std::vector<double> latencies_ms;
  const Clock::time_point start = Clock::now();
  Clock::time_point now = start;
  for (std::uint64_t n = 0;
       now - start < std::chrono::duration<double>(settings().disk_seconds); ++n) {
    // Keys land anywhere in the index, as control ids from many senders do.
    char key[48];
    std::snprintf(key, sizeof key, "%016llx|LIS-ANALYSER|KHOA-XET-NGHIEM",
                  static_cast<unsigned long long>(n * 0x9E3779B97F4A7C15ULL));
    store::sqlite::bind_text(insert->get(), 1, key);
    store::sqlite::bind_blob(insert->get(), 2, raw);
    if (!store::sqlite::run(db->get(), insert->get(), "probe insert")) {
      latencies_ms.clear();
      break;
    }
    const Clock::time_point done = Clock::now();
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(done - now).count());
    now = done;
  }
  insert->reset();
  db->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    fs::remove(file.string() + suffix, ec);
  }
  return figures_of(latencies_ms, std::chrono::duration<double>(now - start).count());
}

DiskFigures g_disk_single;       // single-row commits, CPUs kept awake: the disk's limit
DiskFigures g_disk_single_idle;  // single-row commits from an otherwise idle process
DiskFigures g_disk_thousand;     // 1,000-row commits
DiskFigures g_sqlite_bare;       // SQLite single-row commits, bare table
DiskFigures g_sqlite_indexed;    // SQLite single-row commits, one index

void BM_DiskSingleRowCommits(benchmark::State& state) {
  for (auto _ : state) {
    g_disk_single = disk_commits(1, true);
    g_disk_single_idle = disk_commits(1, false);
    g_sqlite_bare = sqlite_commits(false);
    g_sqlite_indexed = sqlite_commits(true);
    state.SetIterationTime(4 * settings().disk_seconds);
  }
  state.counters["commits_per_s"] = g_disk_single.commits_per_second;
  state.counters["p50_ms"] = g_disk_single.p50_ms;
  state.counters["p99_ms"] = g_disk_single.p99_ms;
  state.counters["idle_commits_per_s"] = g_disk_single_idle.commits_per_second;
  state.counters["sqlite_commits_per_s"] = g_sqlite_bare.commits_per_second;
  state.counters["sqlite_indexed_commits_per_s"] = g_sqlite_indexed.commits_per_second;
}

void BM_DiskThousandRowCommits(benchmark::State& state) {
  for (auto _ : state) {
    g_disk_thousand = disk_commits(1000, true);
    state.SetIterationTime(settings().disk_seconds);
  }
  state.counters["rows_per_s"] = 1000 * g_disk_thousand.commits_per_second;
}

// ---- the engine ----

struct Shape {
  std::size_t connections;
  std::size_t window;
  double rate;  // 0: closed loop
};

std::string shape_text(const Shape& s) {
  char text[64];
  if (s.rate > 0) {
    std::snprintf(text, sizeof text, "%zu x %zu, %.0f msg/s offered", s.connections, s.window,
                  s.rate);
  } else {
    std::snprintf(text, sizeof text, "%zu conn x window %zu", s.connections, s.window);
  }
  return text;
}

bench::LoadResult drive(std::uint16_t port, const Shape& shape) {
  bench::LoadOptions o;
  o.port = port;
  o.connections = shape.connections;
  o.window = shape.window;
  o.rate = shape.rate;
  o.warmup = settings().warmup;
  o.measure = settings().measure;
  o.run_number = ++g_run_number;
  return bench::run_load(o);
}

// The configuration `hisbridge serve` would run with: one MLLP listener on a free loopback
// port, one channel taking all its messages, the journal at `location`.
config::Config engine_config(const std::string& location) {
  config::Config c;
  c.store.location = location;
  c.audit.file = (bench_dir() / "audit.log").string();  // not var/ of the working folder
  config::ListenerConfig lis;
  lis.name = "lis";
  lis.host = "127.0.0.1";
  lis.port = 0;
  c.listeners.push_back(lis);
  config::ChannelConfig results;
  results.name = "lab-results";
  results.source = "lis";
  c.channels.push_back(results);
  return c;
}

// How far the router got, read once the engine has stopped: processed of all stored. Every
// MSH-10 is new, so a duplicate means the load generator repeated one: the run fails.
std::string router_note(const std::string& location) {
  auto store = store::open_store(location);
  if (!store) {
    return {};
  }
  auto stats = (*store)->stats();
  if (!stats || stats->messages == 0) {
    return {};
  }
  if (stats->duplicate != 0 || stats->rejected != 0) {
    g_failed = true;
    std::fprintf(stderr, "%lld duplicates and %lld rejected in the journal\n",
                 static_cast<long long>(stats->duplicate), static_cast<long long>(stats->rejected));
  }
  char text[96];
  std::snprintf(text, sizeof text, "router processed %.0f%% of %lld stored",
                100.0 * static_cast<double>(stats->processed) /
                    static_cast<double>(stats->messages),
                static_cast<long long>(stats->messages));
  return text;
}

void run_engine(benchmark::State& state, const std::string& name, const std::string& location,
                const Shape& shape) {
  for (auto _ : state) {
    bench::LoadResult result;
    {
      app::Engine engine(engine_config(location));
      if (auto started = engine.start(); !started) {
        g_failed = true;
        state.SkipWithError(started.error().c_str());
        return;
      }
      result = drive(engine.port("lis"), shape);
      engine.stop();
    }
    record(state, name, result, router_note(location));
  }
}

void BM_Sqlite(benchmark::State& state, Shape shape) {
  const ScenarioDir dir;
  run_engine(state, "sqlite durable, " + shape_text(shape),
             (dir.path() / "hisbridge.db").string(), shape);
}

// A throw-away database on the HISBRIDGE_TEST_PG server per scenario.
class PgDatabase {
 public:
  explicit PgDatabase(std::string server)
      : server_(std::move(server)),
        name_("hisbridge_ingest_bench_" + std::to_string(::getpid()) + "_" +
              std::to_string(next_++)) {
    ok_ = run("CREATE DATABASE " + name_);
  }
  ~PgDatabase() { run("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)"); }
  bool ok() const { return ok_; }
  // key=value, dbname first (so open_store reads it as libpq keywords).
  std::string conninfo() const {
    std::string out = "dbname='" + name_ + "'";
    PQconninfoOption* options = PQconninfoParse(server_.c_str(), nullptr);
    for (PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
      if (o->val != nullptr && std::string_view(o->keyword) != "dbname") {
        out.append(" ").append(o->keyword).append("='").append(o->val).append("'");
      }
    }
    PQconninfoFree(options);
    return out;
  }

 private:
  bool run(const std::string& sql) const {
    PGconn* conn = PQconnectdb(server_.c_str());
    PGresult* r = PQexec(conn, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    PQfinish(conn);
    return ok;
  }

  static inline int next_ = 0;
  std::string server_;
  std::string name_;
  bool ok_ = false;
};

void BM_Postgres(benchmark::State& state, Shape shape) {
  const char* server = std::getenv("HISBRIDGE_TEST_PG");
  if (server == nullptr || *server == '\0') {
    state.SkipWithError("HISBRIDGE_TEST_PG not set: PostgreSQL scenario skipped");
    return;
  }
  const PgDatabase db(server);
  if (!db.ok()) {
    state.SkipWithError("the HISBRIDGE_TEST_PG server refused a new database");
    return;
  }
  run_engine(state, "postgresql durable, " + shape_text(shape), db.conninfo(), shape);
}

// A journal that keeps nothing: every append "succeeds" at once with the next id.
class NullStore final : public store::Store {
 public:
  Result<std::vector<store::Appended>> append(std::span<const store::NewMessage> batch,
                                              std::int64_t) override {
    std::vector<store::Appended> out(batch.size());
    for (store::Appended& a : out) {
      a.id = ++last_id_;
    }
    return out;
  }
  Result<std::vector<store::StoredMessage>> pending(std::string_view, std::int64_t,
                                                    std::size_t) override {
    return std::vector<store::StoredMessage>{};
  }
  Result<void> set_status(std::int64_t, store::MessageStatus, std::string_view) override {
    return {};
  }
  Result<void> set_statuses(std::span<const store::StatusUpdate>) override { return {}; }
  Result<store::StoredMessage> get(std::int64_t) override { return store::StoreError::not_found; }
  Result<std::vector<store::StoredMessage>> find(const store::MessageQuery&) override {
    return std::vector<store::StoredMessage>{};
  }
  Result<store::StoreStats> stats() override { return store::StoreStats{}; }

 private:
  std::int64_t last_id_ = 0;
};

// A source that answers each message once its bytes are written to a file in place (a log
// written once beforehand, as disk_commits writes it) and fdatasync'ed, on the listener thread
// that hands it over: no database, no thread hand-off, no processing. Unreadable bytes fail
// the run (the load generator sends none).
class FlushOnlySource final : public router::SourceCallbacks {
 public:
  FlushOnlySource()
      : file_(bench_dir() / "flush-only.log"),
        fd_(written_file(file_, kSpan, std::size_t{1} << 20)) {}
  ~FlushOnlySource() override {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    std::error_code ec;
    fs::remove(file_, ec);
  }
  FlushOnlySource(const FlushOnlySource&) = delete;
  FlushOnlySource& operator=(const FlushOnlySource&) = delete;

  bool ok() const { return fd_ >= 0; }

  void on_message(router::Envelope message, router::ReplyHandler reply) override {
    auto parsed = hl7::Message::parse(message.raw);
    if (!parsed) {
      g_failed = true;
      return;
    }
    const std::string& raw = message.raw;
    if (at_ + raw.size() > kSpan) {
      at_ = 0;
    }
    if (::pwrite(fd_, raw.data(), raw.size(), static_cast<off_t>(at_)) !=
            static_cast<ssize_t>(raw.size()) ||
        ::fdatasync(fd_) != 0) {
      g_failed = true;
      return;
    }
    at_ += raw.size();
    router::Reply answer;
    answer.ack = hl7::build_ack(*parsed, hl7::AckCode::accept, {},
                                {std::to_string(++answered_), "20261130120000+0700"});
    answer.accepted = true;
    answer.message_id = static_cast<std::int64_t>(answered_);
    reply(std::move(answer));
  }

 private:
  static constexpr std::size_t kSpan = std::size_t{32} << 20;
  fs::path file_;
  int fd_ = -1;
  std::size_t at_ = 0;         // one connection: one listener thread writes at a time
  std::uint64_t answered_ = 0;
};

// An MLLP listener over `source`, on as many threads as the engine's, driven in `shape`;
// `after_stop` runs once the listener has stopped, before its threads are joined. Nothing when
// the listener could not start (the scenario is skipped).
std::optional<bench::LoadResult> drive_listener(benchmark::State& state,
                                                router::SourceCallbacks& source, Shape shape,
                                                const std::function<void()>& after_stop = {}) {
  boost::asio::io_context ioc;
  auto guard = boost::asio::make_work_guard(ioc);
  mllp::MllpListenerOptions options;
  options.name = "lis";
  options.host = "127.0.0.1";
  mllp::MllpListener listener(ioc, options, source);
  if (auto started = listener.start(); !started) {
    g_failed = true;
    state.SkipWithError(started.error().message().c_str());
    return std::nullopt;
  }
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < std::max(2u, std::thread::hardware_concurrency()); ++i) {
    threads.emplace_back([&ioc] { ioc.run(); });
  }
  const bench::LoadResult result = drive(listener.port(), shape);
  listener.stop();
  if (after_stop) {
    after_stop();
  }
  guard.reset();
  for (auto& t : threads) {
    t.join();
  }
  return result;
}

// The same listener, ingest and group committer as the engine's, with a journal that keeps
// nothing: what the MLLP path costs without the disk.
void BM_NoStore(benchmark::State& state, Shape shape) {
  for (auto _ : state) {
    store::GroupCommitter committer(std::make_unique<NullStore>());
    router::Ingest ingest(committer, {});
    const auto result = drive_listener(state, ingest, shape, [&] { committer.stop(); });
    if (!result) {
      return;
    }
    record(state, "no store (answers unstored), " + shape_text(shape), *result);
  }
}

// The MLLP listener over FlushOnlySource: the most a store-then-ACK design reaches.
void BM_FlushOnly(benchmark::State& state, Shape shape) {
  for (auto _ : state) {
    FlushOnlySource source;
    if (!source.ok()) {
      state.SkipWithError("cannot write the flush-only log in the store's folder");
      return;
    }
    const auto result = drive_listener(state, source, shape);
    if (!result) {
      return;
    }
    record(state, "flush only (write + fdatasync, answer), " + shape_text(shape), *result);
  }
}

// ---- the closing table ----

const Row* find_row(std::string_view name) {
  for (const Row& r : rows()) {
    if (r.name == name) {
      return &r;
    }
  }
  return nullptr;
}

// A target, and what the probe's commits would allow in the same shape: a sender waits for
// its ACK, and an ACK waits for at least one commit, so K connections with W messages in flight
// get at most K * W commits' worth per second, and no ACK comes sooner than a commit. (On a
// virtual machine the probe's commits can be slower than the engine's own: see disk_commits.)
struct Target {
  const char* scenario;
  const char* text;
  std::function<double(const Row&)> ratio;  // >= 1: met
  std::function<std::string()> disk_allows;
};

std::string per_second(double v) {
  char text[48];
  std::snprintf(text, sizeof text, "%.0f msg/s", v);
  return text;
}

void print_targets() {
  const DiskFigures& d = g_disk_single;
  const Target targets[] = {
      {"sqlite durable, 8 conn x window 16", ">= 30,000 msg/s",
       [](const Row& r) { return r.load.messages_per_second / 30000.0; },
       [&] { return per_second(8 * 16 * d.commits_per_second); }},
      {"sqlite durable, 8 conn x window 1", ">= 10,000 msg/s",
       [](const Row& r) { return r.load.messages_per_second / 10000.0; },
       [&] { return per_second(8 * d.commits_per_second); }},
      {"sqlite durable, 1 conn x window 1", ">= 70% of single-row commits/s",
       [&](const Row& r) {
         return d.commits_per_second > 0
                    ? r.load.messages_per_second / (0.7 * d.commits_per_second)
                    : 0;
       },
       [&] { return per_second(d.commits_per_second); }},
      {"sqlite durable, 8 x 16, 1000 msg/s offered", "p99 ACK latency <= 3 ms",
       [](const Row& r) { return r.load.p99_ms > 0 ? 3.0 / r.load.p99_ms : 0; },
       [&] {
         char text[48];
         std::snprintf(text, sizeof text, "p99 >= %.2f ms", d.p99_ms);
         return std::string(text);
       }},
  };
  std::printf("\n%-44s %-32s %7s %-8s %s\n", "target", "wanted", "ratio", "", "if each ACK waited one probe commit");
  for (const Target& t : targets) {
    const Row* r = find_row(t.scenario);
    if (r == nullptr) {
      std::printf("%-44s %-32s %7s  not run\n", t.scenario, t.text, "-");
      continue;
    }
    const double ratio = t.ratio(*r);
    std::printf("%-44s %-32s %7.2f %-8s %s\n", t.scenario, t.text, ratio,
                ratio >= 1.0 ? "met" : "MISSED", t.disk_allows().c_str());
  }
  // What the 1 x 1 target asks, next to what a listener that only flushes reaches.
  const Row* ceiling = find_row("flush only (write + fdatasync, answer), 1 conn x window 1");
  if (ceiling != nullptr && d.commits_per_second > 0) {
    const double c = ceiling->load.messages_per_second;
    std::printf("1 x 1 ceiling: flush only %.0f msg/s = %.2f of single-row commits/s", c,
                c / d.commits_per_second);
    if (const Row* r = find_row("sqlite durable, 1 conn x window 1"); r != nullptr && c > 0) {
      std::printf("; sqlite durable at %.2f of it", r->load.messages_per_second / c);
    }
    std::printf("\n");
  }
}

void print_table() {
  const Settings& s = settings();
  std::printf("\ningest_bench: %u cores, store folder %s, %.1f s per scenario after %.1f s "
              "warm-up%s\n",
              std::thread::hardware_concurrency(), bench_dir().parent_path().c_str(),
              static_cast<double>(s.measure.count()) / 1000.0,
              static_cast<double>(s.warmup.count()) / 1000.0, s.quick ? " (quick run)" : "");
  std::printf("disk: single-row commits (2 KiB write + fdatasync): %.0f/s, each p50 %.2f ms, "
              "p99 %.2f ms (from an idle process: %.0f/s, p50 %.2f ms); 1,000-row commits: "
              "%.0f rows/s\n",
              g_disk_single.commits_per_second, g_disk_single.p50_ms, g_disk_single.p99_ms,
              g_disk_single_idle.commits_per_second, g_disk_single_idle.p50_ms,
              1000 * g_disk_thousand.commits_per_second);
  const auto of_disk = [](const DiskFigures& f) {
    return g_disk_single.commits_per_second > 0
               ? f.commits_per_second / g_disk_single.commits_per_second
               : 0.0;
  };
  std::printf("sqlite alone (WAL, synchronous=FULL, no network): single-row commits %.0f/s "
              "(%.2f of the disk's), p50 %.2f ms; with one index %.0f/s (%.2f), p50 %.2f ms\n",
              g_sqlite_bare.commits_per_second, of_disk(g_sqlite_bare), g_sqlite_bare.p50_ms,
              g_sqlite_indexed.commits_per_second, of_disk(g_sqlite_indexed),
              g_sqlite_indexed.p50_ms);
  std::printf("%-56s %9s %8s %8s %8s\n", "scenario", "msgs/s", "p50 ms", "p99 ms", "max ms");
  for (const Row& r : rows()) {
    std::printf("%-56s %9.0f %8.2f %8.2f %8.2f%s%s\n", r.name.c_str(),
                r.load.messages_per_second, r.load.p50_ms, r.load.p99_ms, r.load.max_ms,
                r.note.empty() ? "" : "  ", r.note.c_str());
  }
  print_targets();
  std::printf("ingest_bench: %s\n", g_failed ? "FAILED (see the errors above)"
                                             : "every ACK matched its message");
}

void register_scenarios() {
  benchmark::RegisterBenchmark("disk/single_row_commits", BM_DiskSingleRowCommits)
      ->Iterations(1)
      ->UseManualTime();
  benchmark::RegisterBenchmark("disk/1000_row_commits", BM_DiskThousandRowCommits)
      ->Iterations(1)
      ->UseManualTime();
  const Shape shapes[] = {{8, 16, 0}, {8, 1, 0}, {1, 1, 0}, {8, 16, 1000}};
  const std::pair<const char*, void (*)(benchmark::State&, Shape)> kinds[] = {
      {"sqlite", BM_Sqlite}, {"postgres", BM_Postgres}, {"no_store", BM_NoStore},
      {"flush_only", BM_FlushOnly}};
  for (const auto& [kind, function] : kinds) {
    for (const Shape& shape : shapes) {
      if (function == BM_NoStore && shape.rate > 0) {
        continue;
      }
      // Flushing on the listener's thread serialises its connections: a ceiling for 1 x 1 only.
      if (function == BM_FlushOnly && (shape.connections != 1 || shape.window != 1)) {
        continue;
      }
      std::string name = std::string(kind) + "/" + std::to_string(shape.connections) + "x" +
                         std::to_string(shape.window);
      if (shape.rate > 0) {
        name += "/rate_" + std::to_string(static_cast<int>(shape.rate));
      }
      benchmark::RegisterBenchmark(name.c_str(), function, shape)->Iterations(1)->UseManualTime();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  read_settings();
  spdlog::set_level(spdlog::level::warn);
  register_scenarios();
  benchmark::Initialize(&argc, argv);
  benchmark::ConsoleReporter reporter(benchmark::ConsoleReporter::OO_Tabular);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_table();
  benchmark::Shutdown();
  std::error_code ec;
  fs::remove_all(bench_dir(), ec);
  return g_failed ? 1 : 0;
}
