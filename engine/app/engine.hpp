#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/app/config_reloader.hpp"
#include "engine/config/config.hpp"
#include "engine/core/result.hpp"

namespace hisbridge::app {

// The running engine: the store's group committer, the router, every configured listener and
// the admin HTTP server, on one Asio thread pool. What `hisbridge serve` runs, and what integration tests start
// in-process (with port 0 listeners).
class Engine {
 public:
  explicit Engine(config::Config config);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Opens the store, resumes processing, binds every listener. On failure nothing is left
  // running and the error says which part failed and why.
  Result<void, std::string> start();
  // The bound port of a listener (useful when the config asked for port 0); 0 if unknown.
  std::uint16_t port(std::string_view listener) const;
  // The bound port of the admin HTTP server (/metrics, /api/v1/...); 0 before start().
  std::uint16_t admin_port() const;
  // Blocks until SIGINT or SIGTERM, then stops; SIGHUP reloads the config meanwhile.
  void run_until_signal();
  // Re-reads the config file and applies what may change while running (config_reloader.hpp).
  ReloadOutcome reload();
  // Stops accepting, lets the commits in flight finish and answers them, stops processing.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hisbridge::app
