#include "engine/app/backup_command.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>
#include <ostream>

#include "engine/app/backup_dumps.hpp"
#include "engine/app/backup_plan.hpp"
#include "engine/app/pg_dump_run.hpp"
#include "engine/audit/audit_file.hpp"
#include "engine/audit/audit_trail.hpp"
#include "engine/audit/os_user.hpp"
#include "engine/config/config_loader.hpp"
#include "engine/core/durable_file.hpp"
#include "engine/store/open_store.hpp"
#include "engine/store/sqlite_backup.hpp"

namespace hisbridge::app {
namespace {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr int kFailed = 1;
constexpr int kBadUsage = 2;
constexpr int kManifestFormat = 1;
constexpr const char* kManifest = "backup.json";
constexpr const char* kWho = "hisbridge backup: ";
constexpr const char* kAuditAction = "backup";

// One database copied: where from, as what, and what the copy holds.
struct Copied {
  const BackupSource* source;
  store::BackupCopy copy;
};

struct Outcome {
  std::vector<Copied> copied;
  std::vector<const BackupSource*> skipped;  // optional files that do not exist
  std::vector<Dumped> dumped;  // the journal's dump before the copies, HIS dumps after
  std::vector<fs::path> dumps_made;  // by this run (--pg-dump): removed when it fails
};

std::string utc_now_iso() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// Why DIR, which exists, cannot take this backup; nothing when it is a folder that holds
// nothing but the dumps made before the copies.
std::optional<std::string> unusable_folder(const BackupPlan& plan, const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return dir.string() + " exists and is not a folder";
  }
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || !is_dump_made_before(plan, it->path().filename())) {
      const bool journal_dumped_first =
          std::any_of(plan.postgres.begin(), plan.postgres.end(),
                      [](const PostgresDatabase& pg) { return pg.dumped_before_copies(); });
      return dir.string() + " holds files already: give a new or empty folder" +
             (journal_dumped_first ? " (or one that holds only the journal's dump, made before)"
                                   : "") +
             ", so that one backup never mixes with another";
    }
  }
  if (ec) {
    return dir.string() + " cannot be read: " + ec.message();
  }
  return std::nullopt;
}

// DIR made ready: created when missing (and its entry flushed), or existing and empty but for
// the dumps made before the copies.
Result<void, std::string> prepare_folder(const BackupPlan& plan, const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (auto why = unusable_folder(plan, dir)) {
      return *why;
    }
    return {};
  }
  fs::create_directories(dir, ec);
  if (!ec) {  // the copies hold patient data: the owner and the group only
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec,
                    fs::perm_options::replace, ec);
  }
  if (ec) {
    return "cannot create " + dir.string() + ": " + ec.message();
  }
  if (const int fd = ::open(dir.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  return {};
}

// A name in DIR for the copy of `source`: its own file name, or with -2, -3... when two
// databases in different folders share one.
fs::path copy_name(const fs::path& source, const Outcome& done) {
  fs::path name = source.filename();
  for (int n = 2;; ++n) {
    const bool taken = std::any_of(done.copied.begin(), done.copied.end(),
                                   [&](const Copied& c) { return c.copy.copy.filename() == name; });
    if (!taken && name != kManifest) {
      return name;
    }
    name = source.stem().string() + "-" + std::to_string(n) + source.extension().string();
  }
}

// Copies every database of the plan, in order; the first failure ends it with its message.
Result<void, std::string> copy_all(const BackupPlan& plan, const fs::path& dir,
                                   const store::BackupOptions& options, Outcome& done) {
  for (const BackupSource& source : plan.sqlite) {
    std::error_code ec;
    if (!source.required && !fs::exists(source.absolute, ec)) {
      done.skipped.push_back(&source);
      continue;
    }
    auto copied =
        store::backup_sqlite_file(source.absolute, dir / copy_name(source.absolute, done), options);
    if (!copied) {
      return "the " + role_words(source.role) + " " + source.configured.string() + ": " +
             copied.error().message;
    }
    done.copied.push_back({&source, std::move(*copied)});
  }
  return {};
}

// Every database the backup must copy is there, before anything is written.
Result<void, std::string> sources_exist(const BackupPlan& plan) {
  for (const BackupSource& source : plan.sqlite) {
    std::error_code ec;
    if (source.required && !fs::exists(source.absolute, ec)) {
      return "the " + role_words(source.role) + " " + source.absolute.string() +
             " does not exist: run the backup in the folder the engine runs in, with its "
             "config";
    }
  }
  return {};
}

void remove_copies(const Outcome& done) {
  std::error_code ec;
  for (const Copied& c : done.copied) {
    fs::remove(c.copy.copy, ec);
  }
  for (const fs::path& dump : done.dumps_made) {
    fs::remove(dump, ec);
  }
}

// --pg-dump: pg_dump run for each database in PostgreSQL that is dumped `before` the copies
// (the journal) or after them (HIS databases), unless its dump is in the folder already.
Result<void, std::string> dump_postgres(const BackupPlan& plan, bool before, Outcome& done) {
  for (const PostgresDatabase& pg : plan.postgres) {
    if (pg.dumped_before_copies() != before || was_dumped(pg, done.dumped)) {
      continue;
    }
    const std::string what = "the " + role_words(pg.role) + " " + pg.location;
    auto command = pg_dump_command(pg.connection, pg.dump_file);
    if (!command) {
      return what + ": " + command.error();
    }
    if (auto ran = run_pg_dump(*command, pg.dump_file); !ran) {
      return what + ": " + ran.error();
    }
    done.dumps_made.push_back(pg.dump_file);
    auto dump = read_dump(pg);
    if (!dump) {
      return dump.error();
    }
    done.dumped.push_back(std::move(*dump));
  }
  return {};
}

Json file_entry(const Copied& c, bool quick_check) {
  Json entry;
  entry["role"] = c.source->role;
  entry["source"] = c.source->absolute.string();
  entry["configured"] = c.source->configured.string();
  entry["copy"] = c.copy.copy.filename().string();
  entry["size_bytes"] = c.copy.size_bytes;
  entry["page_size"] = c.copy.page_size;
  entry["page_count"] = c.copy.page_count;
  entry["sha256"] = c.copy.sha256;
  entry["check"] = quick_check ? "quick_check ok" : "integrity_check ok";
  if (c.source->role == "journal") {
    entry["messages"] = c.copy.rows("hisbridge_messages");
  }
  if (!c.source->used_by.empty()) {
    entry["used_by"] = c.source->used_by;
  }
  Json tables = Json::object();
  for (const auto& [name, rows] : c.copy.tables) {
    tables[name] = rows;
  }
  entry["tables"] = std::move(tables);
  entry["took_ms"] = c.copy.took.count();
  return entry;
}

Json manifest(const BackupOptions& options, const BackupPlan& plan, const Outcome& done,
              const std::string& started, std::chrono::milliseconds took) {
  Json m;
  m["format"] = kManifestFormat;
  m["engine_version"] = options.engine_version;
  m["created_at"] = started;
  m["took_ms"] = took.count();
  std::error_code ec;
  m["config"] = fs::absolute(options.config_file, ec).lexically_normal().string();
  m["working_directory"] = fs::current_path(ec).string();
  m["files"] = Json::array();
  for (const Copied& c : done.copied) {
    m["files"].push_back(file_entry(c, options.quick_check));
  }
  m["skipped"] = Json::array();
  for (const BackupSource* s : done.skipped) {
    m["skipped"].push_back(
        {{"role", s->role}, {"source", s->absolute.string()}, {"reason", "does not exist"}});
  }
  m["dumps"] = dump_entries(done.dumped);
  m["not_copied"] = not_copied_entries(plan, done.dumped);
  m["also_back_up"] = Json::array();
  for (const OtherFile& o : plan.others) {
    m["also_back_up"].push_back({{"what", o.what}, {"path", o.path.string()}});
  }
  return m;
}

void print_summary(const BackupPlan& plan, const Outcome& done, const fs::path& dir,
                   std::chrono::milliseconds took, std::ostream& out) {
  std::int64_t bytes = 0;
  for (const Copied& c : done.copied) {
    bytes += c.copy.size_bytes;
  }
  const std::string dumps =
      done.dumps_made.empty()
          ? ""
          : fmt::format(" and dumped {} PostgreSQL database{}", done.dumps_made.size(),
                        done.dumps_made.size() == 1 ? "" : "s");
  out << fmt::format("Backed up {} SQLite database{} ({}){} to {} in {:.1f} s\n",
                     done.copied.size(), done.copied.size() == 1 ? "" : "s", size_text(bytes),
                     dumps, dir.string(), static_cast<double>(took.count()) / 1000.0);
  for (const Copied& c : done.copied) {
    const std::int64_t messages = c.copy.rows("hisbridge_messages");
    out << fmt::format("  {:<9} {} -> {}  {}, {} pages{}, checked, sha256 {}\n", c.source->role,
                       c.source->configured.string(), c.copy.copy.filename().string(),
                       size_text(c.copy.size_bytes), c.copy.page_count,
                       c.source->role == "journal"
                           ? fmt::format(", {} message{}", messages, messages == 1 ? "" : "s")
                           : "",
                       c.copy.sha256);
  }
  for (const BackupSource* s : done.skipped) {
    out << "  " << s->role << " " << s->configured.string() << ": does not exist, skipped\n";
  }
  print_dumps(done.dumped, out);
  out << "Manifest: " << (dir / kManifest).string() << "\n";
  print_dump_lines(plan, done.dumped, out);
  out << "Not copied by this command; back these up too:\n";
  for (const OtherFile& o : plan.others) {
    out << "  " << o.what << ": " << o.path.string() << "\n";
  }
}

struct Start {
  std::chrono::steady_clock::time_point at;
  std::string utc;
};

// The backup recorded as an operator action (audit_trail.hpp) before anything is copied: it
// takes every patient's data, so one that cannot be recorded is not made. The journal's copy
// holds its own entry.
Result<void, std::string> record_backup(const config::Config& config, const BackupPlan& plan,
                                        const fs::path& dir) {
  auto journal = store::open_store(config.store.location);
  if (!journal) {
    return "cannot open the journal " + store::redacted_location(config.store.location) +
           " to record the backup in its audit log: " + journal.error().message();
  }
  auto file = audit::AuditFile::open(audit::file_options(config.audit));
  if (!file) {
    return file.error();
  }
  Json databases = Json::array();
  for (const BackupSource& s : plan.sqlite) {
    // A timeline the engine never made is skipped by the copy: not named as copied either.
    std::error_code ec;
    if (s.required || fs::exists(s.absolute, ec)) {
      databases.push_back(s.role);
    }
  }
  for (const PostgresDatabase& pg : plan.postgres) {
    databases.push_back(pg.role + " (PostgreSQL)");
  }
  audit::AuditTrail trail(audit::AuditTrail::journal_of(**journal), std::move(*file));
  auto recorded = trail.append(
      {audit::os_user(), "cli", kAuditAction,
       Json{{"via", "cli"}, {"to", dir.string()}, {"databases", std::move(databases)}}});
  if (!recorded) {
    return "the backup's audit entry could not be written: " + recorded.error();
  }
  return {};
}

// The copies, the manifest and the summary, into a folder made ready.
int copy_into(const BackupOptions& options, const BackupPlan& plan, const fs::path& dir,
              const Start& start, std::ostream& out, std::ostream& err) {
  store::BackupOptions copy_options;
  copy_options.quick_check = options.quick_check;
  Outcome done;
  auto dumps = find_dumps(plan);
  if (!dumps) {
    err << kWho << dumps.error() << "\nNo backup was made: " << dir.string()
        << " holds no backup.json\n";
    return kFailed;
  }
  done.dumped = std::move(*dumps);
  Result<void, std::string> made = {};
  if (options.pg_dump) {
    made = dump_postgres(plan, true, done);
  }
  if (made) {
    made = copy_all(plan, dir, copy_options, done);
  }
  if (made && options.pg_dump) {
    made = dump_postgres(plan, false, done);
  }
  if (!made) {
    remove_copies(done);
    err << kWho << made.error() << "\nNo backup was made: " << dir.string()
        << " holds no backup.json\n";
    return kFailed;
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start.at);
  const Json m = manifest(options, plan, done, start.utc, took);
  if (auto written = write_file_durably(dir, kManifest, m.dump(2) + "\n"); !written) {
    remove_copies(done);
    err << kWho << "cannot write " << (dir / kManifest).string() << ": "
        << written.error().message() << "\nNo backup was made\n";
    return kFailed;
  }
  if (options.json) {
    out << m.dump(2) << "\n";
  } else {
    print_summary(plan, done, dir, took, out);
  }
  warn_journal_not_dumped(plan, done.dumped, dir, kWho, err);
  return 0;
}

}  // namespace

CLI::App* add_backup_command(CLI::App& app, BackupOptions& options) {
  auto* cmd = app.add_subcommand(
      "backup", "Copy the engine's SQLite databases, consistent and checked, while it runs");
  cmd->add_option("--config", options.config_file, "Config file")->capture_default_str();
  cmd->add_option("--to", options.to, "Folder for the copies: new, or empty")->required();
  cmd->add_flag("--json", options.json, "Print the manifest (backup.json) instead of a summary");
  cmd->add_flag("--quick-check", options.quick_check,
                "Check the copies with PRAGMA quick_check, faster than integrity_check");
  cmd->add_flag("--pg-dump", options.pg_dump,
                "Dump the databases in PostgreSQL with pg_dump too: the journal before the "
                "copies, HIS databases after them");
  return cmd;
}

int run_backup(const BackupOptions& options, std::ostream& out, std::ostream& err) {
  const auto started = std::chrono::steady_clock::now();
  const std::string started_at = utc_now_iso();
  config::Config config;
  try {
    config = config::load_config(options.config_file);
  } catch (const config::ConfigErrors& e) {
    for (const auto& error : e.errors()) {
      err << error.to_string() << "\n";
    }
    return kBadUsage;
  }
  std::error_code ec;
  const fs::path dir = fs::absolute(options.to, ec).lexically_normal();
  auto plan = plan_backup(config, fs::current_path(ec), dir);
  if (!plan) {
    err << kWho << plan.error() << "\n";
    return kBadUsage;
  }
  if (plan->sqlite.empty() && !options.pg_dump) {
    print_dump_lines(*plan, {}, err);
    err << kWho
        << "no SQLite database to copy: every database of this config is in "
           "PostgreSQL (--pg-dump dumps them)\n";
    return kBadUsage;
  }
  if (auto there = sources_exist(*plan); !there) {
    err << kWho << there.error() << "\n";
    return kFailed;
  }
  if (auto ready = prepare_folder(*plan, dir); !ready) {
    err << kWho << ready.error() << "\n";
    return kBadUsage;
  }
  if (auto recorded = record_backup(config, *plan, dir); !recorded) {
    err << kWho << recorded.error() << "\nNo backup was made\n";
    return kFailed;
  }
  return copy_into(options, *plan, dir, {started, started_at}, out, err);
}

}  // namespace hisbridge::app
