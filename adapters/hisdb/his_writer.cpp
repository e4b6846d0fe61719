#include "adapters/hisdb/his_writer.hpp"

#include <spdlog/spdlog.h>

#include "adapters/hisdb/postgres_his_writer.hpp"
#include "adapters/hisdb/sqlite_his_writer.hpp"
#include "engine/store/open_store.hpp"

namespace hisbridge::hisdb {
namespace {

constexpr std::string_view kSqlitePrefix = "sqlite:";

// The file a SQLite location names: `sqlite:PATH`, `sqlite://PATH`, `sqlite:///ABSOLUTE` or
// the plain path.
std::string_view sqlite_path(std::string_view location) {
  if (!location.starts_with(kSqlitePrefix)) {
    return location;
  }
  location.remove_prefix(kSqlitePrefix.size());
  if (location.starts_with("//")) {
    location.remove_prefix(2);
  }
  return location;
}

}  // namespace

Result<std::unique_ptr<HisWriter>> open_his_writer(std::string_view location,
                                                   const HisWriterOptions& options) {
  // The journal's rules tell the two apart, so one location string means the same in both
  // places of the configuration.
  const auto kind = store::store_kind(location);
  if (!kind) {
    // The location is not logged: a connection string may hold a password.
    spdlog::error(
        "hisdb: the HIS database location is not sqlite:PATH, a file path or "
        "postgresql://...");
    return HisDbError::bad_config;
  }
  if (*kind == store::StoreKind::postgres) {
    auto opened = PostgresHisWriter::open(location, options);
    if (!opened) {
      return opened.error();
    }
    return std::unique_ptr<HisWriter>(std::move(*opened));
  }
  auto opened = SqliteHisWriter::open(std::string(sqlite_path(location)), options);
  if (!opened) {
    return opened.error();
  }
  return std::unique_ptr<HisWriter>(std::move(*opened));
}

}  // namespace hisbridge::hisdb
