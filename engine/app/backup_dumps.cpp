#include "engine/app/backup_dumps.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>

#include "engine/store/sqlite_backup.hpp"

namespace hisbridge::app {
namespace {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
}  // namespace

bool was_dumped(const PostgresDatabase& pg, const std::vector<Dumped>& dumps) {
  return std::any_of(dumps.begin(), dumps.end(),
                     [&](const Dumped& d) { return d.database == &pg; });
}

bool is_dump_made_before(const BackupPlan& plan, const fs::path& name) {
  return std::any_of(plan.postgres.begin(), plan.postgres.end(), [&](const PostgresDatabase& pg) {
    return pg.dumped_before_copies() && pg.dump_file.filename() == name;
  });
}

Result<Dumped, std::string> read_dump(const PostgresDatabase& pg) {
  std::error_code ec;
  const auto size = fs::file_size(pg.dump_file, ec);
  auto sha256 = store::sha256_of_file(pg.dump_file);
  if (ec || !sha256) {
    return "the " + role_words(pg.role) + "'s dump " + pg.dump_file.string() +
           " cannot be read: " + (ec ? ec.message() : sha256.error().message());
  }
  return Dumped{&pg, static_cast<std::int64_t>(size), std::move(*sha256)};
}

Result<std::vector<Dumped>, std::string> find_dumps(const BackupPlan& plan) {
  std::vector<Dumped> dumps;
  for (const PostgresDatabase& pg : plan.postgres) {
    std::error_code ec;
    if (!pg.dumped_before_copies() || !fs::exists(pg.dump_file, ec)) {
      continue;
    }
    auto dump = read_dump(pg);
    if (!dump) {
      return dump.error();
    }
    dumps.push_back(std::move(*dump));
  }
  return dumps;
}

Json dump_entries(const std::vector<Dumped>& dumps) {
  Json entries = Json::array();
  for (const Dumped& d : dumps) {
    entries.push_back({{"role", d.database->role},
                       {"location", d.database->location},
                       {"file", d.database->dump_file.filename().string()},
                       {"size_bytes", d.size_bytes},
                       {"sha256", d.sha256},
                       {"made", d.database->dumped_before_copies() ? "before the copies"
                                                                   : "after the copies"}});
  }
  return entries;
}

Json not_copied_entries(const BackupPlan& plan, const std::vector<Dumped>& dumps) {
  Json entries = Json::array();
  for (const PostgresDatabase& pg : plan.postgres) {
    if (!was_dumped(pg, dumps)) {
      entries.push_back(
          {{"role", pg.role},
           {"location", pg.location},
           {"pg_dump", pg.pg_dump},
           {"when", pg.dumped_before_copies() ? "before the copies" : "after the copies"}});
    }
  }
  return entries;
}

void print_dumps(const std::vector<Dumped>& dumps, std::ostream& out) {
  for (const Dumped& d : dumps) {
    out << fmt::format("  {:<9} {} -> {}  {}, dumped {} the copies, sha256 {}\n",
                       d.database->role, d.database->location,
                       d.database->dump_file.filename().string(), size_text(d.size_bytes),
                       d.database->dumped_before_copies() ? "before" : "after", d.sha256);
  }
}

void print_dump_lines(const BackupPlan& plan, const std::vector<Dumped>& dumps,
                      std::ostream& out) {
  for (const PostgresDatabase& pg : plan.postgres) {
    if (was_dumped(pg, dumps)) {
      continue;
    }
    out << "The " << role_words(pg.role) << " is in PostgreSQL (" << pg.location << "): "
        << (pg.dumped_before_copies()
                ? "dump it with pg_dump into the backup folder before `hisbridge backup` "
                  "copies anything, so that no HIS copy is older than the journal"
                : "dump it with pg_dump after the journal and the copies")
        << " (the password from ~/.pgpass or PGPASSWORD, not the command line):\n  "
        << pg.pg_dump << "\n";
  }
}

void warn_journal_not_dumped(const BackupPlan& plan, const std::vector<Dumped>& dumps,
                             const fs::path& dir, std::string_view who, std::ostream& err) {
  for (const PostgresDatabase& pg : plan.postgres) {
    if (pg.dumped_before_copies() && !was_dumped(pg, dumps)) {
      err << who << "warning: " << dir.string() << " holds no dump of the "
          << role_words(pg.role) << " (" << pg.dump_file.filename().string()
          << "): this backup has no journal. Run its pg_dump line into the folder first, then "
             "`hisbridge backup` into the same folder, or `hisbridge backup --pg-dump`\n";
    }
  }
}

}  // namespace hisbridge::app
