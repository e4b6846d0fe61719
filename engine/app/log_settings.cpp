#include "engine/app/log_settings.hpp"

#include <spdlog/spdlog.h>

#include "engine/core/patient_data_log.hpp"

namespace hisbridge::app {

void apply_log_settings(const config::LogConfig& log) {
  spdlog::set_level(spdlog::level::from_str(log.level));
  set_show_patient_data(log.show_patient_data);
  if (log.show_patient_data) {
    // At warn, so that it shows at every level but error.
    spdlog::warn("PATIENT DATA IN LOGS: log.show_patient_data is on; the log now quotes names, "
                 "ids and values from messages. Turn it off after debugging and remove the log");
  }
}

}  // namespace hisbridge::app
