#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "engine/store/store.hpp"

namespace hisbridge::store {

// Opens the journal a configuration names:
// - `sqlite:PATH` (also `sqlite://PATH`, and `sqlite:///ABSOLUTE`) or a plain file path
//   → SqliteStore with default options;
// - `postgresql://...`, `postgres://...`, or a libpq key=value string whose first keyword is
//   host, hostaddr, dbname, user, port or service → PostgresStore with default options;
// - anything else (empty, another scheme such as `mysql://`, other key=value text)
//   → StoreError::bad_config.
// Errors of the store itself pass through (unavailable, corrupt, ...).
Result<std::unique_ptr<Store>> open_store(std::string_view location);

// Which implementation a location names, without opening anything (for config checks).
enum class StoreKind { sqlite, postgres };
Result<StoreKind> store_kind(std::string_view location);

// The location as it may be shown in logs and error messages: a password in a URI
// (`postgresql://user:secret@host/db`) or in key=value form (`password=secret`) becomes `***`.
std::string redacted_location(std::string_view location);

}  // namespace hisbridge::store
