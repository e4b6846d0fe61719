#pragma once

#include <string_view>

namespace hisbridge::store {

// Logs why a store operation failed: "store: <database> <what>: <reason> (code <code>)", at
// most one line per database, operation and code every 10 s, the next one saying how many it
// kept quiet about. A full or failing disk fails every commit, hundreds a second under load;
// the store-failure counters count each one, the log says it a few times a minute.
void log_store_failure(std::string_view database, std::string_view what, std::string_view code,
                       std::string_view reason);

}  // namespace hisbridge::store
