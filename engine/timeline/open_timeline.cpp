// open_timeline(): the timeline goes where the journal is (store::open_store's locations).
#include <spdlog/spdlog.h>

#include "engine/store/open_store.hpp"
#include "engine/timeline/postgres_timeline.hpp"
#include "engine/timeline/sqlite_timeline.hpp"
#include "engine/timeline/timeline_store.hpp"

namespace hisbridge::timeline {
namespace {

// `sqlite:PATH`, `sqlite://PATH` and `sqlite:///ABSOLUTE` name PATH; anything else that
// store_kind() takes for SQLite is a path already.
std::string_view sqlite_path(std::string_view location) {
  constexpr std::string_view kPrefix = "sqlite:";
  if (!location.starts_with(kPrefix)) {
    return location;
  }
  location.remove_prefix(kPrefix.size());
  if (location.starts_with("//")) {
    location.remove_prefix(2);
  }
  return location;
}

}  // namespace

Result<std::unique_ptr<TimelineStore>> open_timeline(std::string_view location,
                                                      std::vector<IntervalDefinition> definitions) {
  auto kind = store::store_kind(location);
  if (!kind) {
    // The location is not logged: a connection string may hold a password.
    spdlog::error("timeline: the store location is not sqlite:PATH, a file path or "
                  "postgresql://...");
    return kind.error();
  }
  if (*kind == store::StoreKind::postgres) {
    auto opened = PostgresTimeline::open(location, std::move(definitions));
    if (!opened) {
      return opened.error();
    }
    return std::unique_ptr<TimelineStore>(std::move(*opened));
  }
  auto opened = SqliteTimeline::open(std::string(sqlite_path(location)), std::move(definitions));
  if (!opened) {
    return opened.error();
  }
  return std::unique_ptr<TimelineStore>(std::move(*opened));
}

}  // namespace hisbridge::timeline
