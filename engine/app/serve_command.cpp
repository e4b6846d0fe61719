#include "engine/app/serve_command.hpp"

#include <iostream>
#include <string_view>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "engine/app/engine.hpp"
#include "engine/app/sd_notify.hpp"
#include "engine/app/log_settings.hpp"
#include "engine/config/config_loader.hpp"
#include "engine/store/open_store.hpp"

namespace hisbridge::app {
namespace {

void configure_logging(const config::LogConfig& log) {
  // Standard error, so that a service manager (journald) takes the log and standard output
  // stays free.
  spdlog::set_default_logger(spdlog::stderr_color_mt("hisbridge"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  apply_log_settings(log);
}

}  // namespace

int run_serve(const std::string& config_file) {
  config::Config config;
  try {
    config = config::load_config(config_file);
  } catch (const config::ConfigErrors& e) {
    for (const auto& error : e.errors()) {
      std::cerr << error.to_string() << "\n";
    }
    return 2;
  }
  configure_logging(config.log);
  spdlog::info("hisbridge starting: config {}, store {}", config_file,
               store::redacted_location(config.store.location));
  Engine engine(config);
  if (auto started = engine.start(); !started) {
    spdlog::error("cannot start: {}", started.error());
    return 1;
  }
  spdlog::info("ready");
  notify_service_manager("READY=1");
  engine.run_until_signal();
  spdlog::info("stopped");
  return 0;
}

}  // namespace hisbridge::app
