#include "engine/store/failure_log.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

#include "engine/core/log_throttle.hpp"

namespace hisbridge::store {

void log_store_failure(std::string_view database, std::string_view what, std::string_view code,
                       std::string_view reason) {
  static LogThrottle<std::string> throttle(std::chrono::seconds(10), 256);
  std::string key(database);
  key += '\0';
  key += what;
  key += '\0';
  key += code;
  const auto quiet = throttle.allow(key, LogThrottle<std::string>::Clock::now());
  if (!quiet) {
    return;
  }
  if (*quiet == 0) {
    spdlog::error("store: {} {}: {} (code {})", database, what, reason, code);
  } else {
    spdlog::error("store: {} {}: {} (code {}; {} more like it since the last such line)",
                  database, what, reason, code, *quiet);
  }
}

}  // namespace hisbridge::store
