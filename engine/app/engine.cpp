#include "engine/app/engine.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "adapters/mllp/mllp_listener.hpp"
#include "engine/router/ingest.hpp"
#include "engine/router/router.hpp"
#include "engine/store/group_committer.hpp"
#include "engine/store/open_store.hpp"

namespace hisbridge::app {

namespace asio = boost::asio;

class Engine::Impl {
 public:
  explicit Impl(config::Config config) : config_(std::move(config)) {}

  Result<void, std::string> start() {
    auto writer = store::open_store(config_.store.location);
    if (!writer) {
      return "store " + config_.store.location + ": " + writer.error().message();
    }
    auto reader = store::open_store(config_.store.location);
    if (!reader) {
      return "store " + config_.store.location + ": " + reader.error().message();
    }
    store::GroupCommitterOptions commit_options;
    commit_options.max_batch = config_.store.max_batch;
    commit_options.duplicate_window_us =
        std::chrono::duration_cast<std::chrono::microseconds>(config_.store.duplicate_window).count();
    committer_ = std::make_unique<store::GroupCommitter>(std::move(*writer), commit_options);
    router_ = std::make_unique<router::Router>(std::move(*reader), config_);
    router::Ingest::CharsetOverrides charsets;
    for (const auto& l : config_.listeners) {
      if (!l.charset.empty()) {
        charsets[l.name] = l.charset;
      }
    }
    ingest_ = std::make_unique<router::Ingest>(
        *committer_, std::move(charsets),
        [this](const std::string& source, std::int64_t) { router_->notify(source); });
    router_->start();
    for (const auto& l : config_.listeners) {
      if (auto started = start_listener(l); !started) {
        stop();
        return started.error();
      }
    }
    const unsigned threads = std::max(2u, std::thread::hardware_concurrency());
    work_.emplace(ioc_.get_executor());
    for (unsigned i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
    return {};
  }

  std::uint16_t port(std::string_view name) const {
    auto it = mllp_.find(std::string(name));
    return it == mllp_.end() ? 0 : it->second->port();
  }

  void run_until_signal() {
    asio::io_context signals_ioc;
    asio::signal_set signals(signals_ioc, SIGINT, SIGTERM);
    signals.async_wait([](const boost::system::error_code&, int signal) {
      spdlog::info("signal {}: shutting down", signal);
    });
    signals_ioc.run();
    stop();
  }

  void stop() {
    for (auto& [name, listener] : mllp_) {
      listener->stop();
    }
    // The commits in flight finish and their answers are posted before the pool stops.
    if (committer_) {
      committer_->stop();
    }
    work_.reset();
    ioc_.stop();
    for (auto& t : threads_) {
      t.join();
    }
    threads_.clear();
    if (router_) {
      router_->stop();
    }
    mllp_.clear();
  }

 private:
  Result<void, std::string> start_listener(const config::ListenerConfig& l) {
    if (l.type != config::ListenerType::mllp) {
      return "listener " + l.name + ": type not available in this build yet";
    }
    mllp::MllpListenerOptions options;
    options.name = l.name;
    options.host = l.host;
    options.port = l.port;
    options.max_frame_bytes = l.max_frame_bytes;
    options.max_connections = l.max_connections;
    options.idle_timeout = l.idle_timeout;
    auto listener = std::make_unique<mllp::MllpListener>(ioc_, options, *ingest_);
    if (auto started = listener->start(); !started) {
      return "listener " + l.name + " (" + l.host + ":" + std::to_string(l.port) +
             "): " + started.error().message();
    }
    mllp_[l.name] = std::move(listener);
    return {};
  }

  config::Config config_;
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::unique_ptr<store::GroupCommitter> committer_;
  std::unique_ptr<router::Router> router_;
  std::unique_ptr<router::Ingest> ingest_;
  std::map<std::string, std::unique_ptr<mllp::MllpListener>> mllp_;
};

Engine::Engine(config::Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Engine::~Engine() { impl_->stop(); }
Result<void, std::string> Engine::start() { return impl_->start(); }
std::uint16_t Engine::port(std::string_view listener) const { return impl_->port(listener); }
void Engine::run_until_signal() { impl_->run_until_signal(); }
void Engine::stop() { impl_->stop(); }

}  // namespace hisbridge::app
