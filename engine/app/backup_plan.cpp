#include "engine/app/backup_plan.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "engine/store/open_store.hpp"
#include "engine/timeline/sqlite_timeline_schema.hpp"

namespace hisbridge::app {
namespace {
namespace fs = std::filesystem;

constexpr std::string_view kSqlitePrefix = "sqlite:";

fs::path absolute_in(const fs::path& working_directory, const fs::path& path) {
  return (path.is_absolute() ? path : working_directory / path).lexically_normal();
}

BackupSource* find_source(BackupPlan& plan, const fs::path& absolute) {
  const auto it = std::find_if(plan.sqlite.begin(), plan.sqlite.end(),
                               [&](const BackupSource& s) { return s.absolute == absolute; });
  return it == plan.sqlite.end() ? nullptr : &*it;
}

// The pg_dump line for one database: custom format (pg_restore reads it, table by table if
// need be), into the backup folder, named after its role.
std::string pg_dump_line(const std::string& redacted, const fs::path& file) {
  return "pg_dump --format=custom --file=" + shell_quoted(file.string()) +
         " --dbname=" + shell_quoted(redacted);
}

void add_postgres(BackupPlan& plan, const std::string& role, std::string_view location,
                  const fs::path& to) {
  const std::string redacted = store::redacted_location(location);
  for (const PostgresDatabase& known : plan.postgres) {
    if (known.location == redacted) {
      return;  // the journal and the HIS tables in one database: one dump holds both
    }
  }
  std::size_t same_role = 0;
  for (const PostgresDatabase& known : plan.postgres) {
    same_role += known.role == role ? 1u : 0u;
  }
  const std::string name = role + (same_role > 0 ? "-" + std::to_string(same_role + 1) : "");
  const fs::path dump = to / (name + ".pgdump");
  plan.postgres.push_back({role, redacted, std::string(location), pg_dump_line(redacted, dump),
                           dump});
}

// Adds the database `location` names in `role`: a SQLite file once, however many
// destinations write it, or a PostgreSQL database.
Result<void, std::string> add_database(BackupPlan& plan, const std::string& role,
                                       std::string_view location, const fs::path& wd,
                                       const fs::path& to, const std::string& used_by) {
  const auto kind = store::store_kind(location);
  if (!kind) {
    return "the " + role + " location '" + store::redacted_location(location) +
           "' is not sqlite:PATH, a file path or postgresql://... (run check-config)";
  }
  if (*kind == store::StoreKind::postgres) {
    add_postgres(plan, role, location, to);
    return {};
  }
  const fs::path configured = *sqlite_file_of(location);
  const fs::path absolute = absolute_in(wd, configured);
  BackupSource* known = find_source(plan, absolute);
  if (known == nullptr) {
    plan.sqlite.push_back({role, configured, absolute, true, {}});
    known = &plan.sqlite.back();
  }
  if (!used_by.empty()) {
    known->used_by.push_back(used_by);
  }
  return {};
}

void add_tls(std::vector<OtherFile>& others, const config::TlsConfig& tls,
             const std::string& owner) {
  if (!tls.enabled) {
    return;
  }
  if (!tls.certificate.empty()) {
    others.push_back({"TLS certificate (" + owner + ")", tls.certificate});
  }
  if (!tls.private_key.empty()) {
    others.push_back({"TLS private key (" + owner + ")", tls.private_key});
  }
  if (!tls.ca.empty()) {
    others.push_back({"TLS CA certificates (" + owner + ")", tls.ca});
  }
}

// The files a restore needs besides the databases, each once.
std::vector<OtherFile> other_files(const config::Config& config, const fs::path& wd) {
  std::vector<OtherFile> out;
  out.push_back({"config", config.file});
  for (const auto& c : config.channels) {
    if (!c.mapping.empty()) {
      out.push_back({"mapping (and the lookup tables it names)", c.mapping});
    }
    for (const auto& d : c.destinations) {
      if (!d.mapping.empty()) {
        out.push_back({"mapping (and the lookup tables it names)", d.mapping});
      }
      add_tls(out, d.tls, "destination " + c.name + "/" + d.name);
    }
  }
  out.push_back({"audit log (and its rotated copies .1, .2, ...)", config.audit.file});
  for (const auto& l : config.listeners) {
    add_tls(out, l.tls, "listener " + l.name);
  }
  add_tls(out, config.admin.tls, "admin server");
  std::vector<OtherFile> unique;
  for (auto& file : out) {
    file.path = absolute_in(wd, file.path);
    const bool seen = std::any_of(unique.begin(), unique.end(),
                                  [&](const OtherFile& u) { return u.path == file.path; });
    if (!seen && !file.path.empty()) {
      unique.push_back(std::move(file));
    }
  }
  return unique;
}

}  // namespace

std::optional<fs::path> sqlite_file_of(std::string_view location) {
  const auto kind = store::store_kind(location);
  if (!kind || *kind != store::StoreKind::sqlite) {
    return std::nullopt;
  }
  if (!location.starts_with(kSqlitePrefix)) {
    return fs::path(location);
  }
  std::string_view path = location.substr(kSqlitePrefix.size());
  if (path.starts_with("//")) {
    path.remove_prefix(2);  // sqlite://relative, sqlite:///absolute (as open_store reads them)
  }
  return fs::path(path);
}

std::string role_words(const std::string& role) {
  return role == "his" ? "HIS staging database" : role;
}

std::string size_text(std::int64_t bytes) {
  const double b = static_cast<double>(bytes);
  return b < 1e6 ? fmt::format("{:.0f} kB", b / 1e3) : fmt::format("{:.1f} MB", b / 1e6);
}

std::string shell_quoted(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

Result<BackupPlan, std::string> plan_backup(const config::Config& config, const fs::path& wd,
                                            const fs::path& to) {
  BackupPlan plan;
  if (auto added = add_database(plan, "journal", config.store.location, wd, to, ""); !added) {
    return added.error();
  }
  if (!plan.sqlite.empty()) {
    const BackupSource& journal = plan.sqlite.front();
    plan.sqlite.push_back({"timeline",
                           timeline::sqlite_schema::timeline_file(journal.configured),
                           timeline::sqlite_schema::timeline_file(journal.absolute),
                           false,
                           {}});
  }
  for (const auto& c : config.channels) {
    for (const auto& d : c.destinations) {
      if (d.type != "his-db") {
        continue;
      }
      const std::string& location = d.location.empty() ? config.his_location : d.location;
      if (auto added = add_database(plan, "his", location, wd, to, c.name + "/" + d.name); !added) {
        return added.error();
      }
    }
  }
  plan.others = other_files(config, wd);
  return plan;
}

}  // namespace hisbridge::app
