#include "engine/app/engine.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/spdlog.h>

#include "adapters/admin/admin_handler.hpp"
#include "adapters/file/drop_folder_listener.hpp"
#include "adapters/http/http_config.hpp"
#include "adapters/http/http_ingest_listener.hpp"
#include "adapters/mllp/mllp_config.hpp"
#include "adapters/mllp/mllp_listener.hpp"
#include "adapters/tls/tls_context.hpp"
#include "engine/app/channel_factory.hpp"
#include "engine/app/config_reloader.hpp"
#include "engine/app/engine_metrics.hpp"
#include "engine/app/sd_notify.hpp"
#include "engine/app/tls_reload.hpp"
#include "engine/app/turnaround_metrics.hpp"
#include "engine/audit/audit_file.hpp"
#include "engine/audit/audit_trail.hpp"
#include "engine/delivery/back_pressure.hpp"
#include "engine/delivery/delivery_service.hpp"
#include "engine/mapping/mapping_watcher.hpp"
#include "engine/router/ingest.hpp"
#include "engine/router/router.hpp"
#include "engine/store/group_committer.hpp"
#include "engine/store/open_store.hpp"
#include "engine/store/retention.hpp"
#include "engine/timeline/mark_backlog.hpp"
#include "engine/timeline/timeline_store.hpp"
#include "engine/timeline/timeline_worker.hpp"

namespace hisbridge::app {

namespace asio = boost::asio;

// How long a stop waits for the connections to write the last answers and close.
constexpr std::chrono::seconds kDrainTime{5};

class Engine::Impl {
 public:
  explicit Impl(config::Config config) : config_(std::move(config)) {}

  Result<void, std::string> start() {
    auto writer = store::open_store(config_.store.location);
    if (!writer) {
      return "store " + store::redacted_location(config_.store.location) + ": " +
             writer.error().message();
    }
    auto reader = store::open_store(config_.store.location);
    if (!reader) {
      return "store " + store::redacted_location(config_.store.location) + ": " +
             reader.error().message();
    }
    // The admin API's own reader, so a search never waits for the router's connection.
    auto admin_reader = store::open_store(config_.store.location);
    if (!admin_reader) {
      return "store " + store::redacted_location(config_.store.location) + ": " +
             admin_reader.error().message();
    }
    // The audit file before anything runs: no operator action goes unrecorded.
    auto audit_file = audit::AuditFile::open(audit::file_options(config_.audit));
    if (!audit_file) {
      return audit_file.error();
    }
    audit_file_ = std::move(*audit_file);
    store::GroupCommitterOptions commit_options;
    commit_options.max_batch = config_.store.max_batch;
    commit_options.duplicate_window_us =
        std::chrono::duration_cast<std::chrono::microseconds>(config_.store.duplicate_window).count();
    mapping::MappingLoadOptions mapping_options;
    mapping_options.timezone = config_.timezone;
    mappings_ = std::make_unique<mapping::MappingWatcher>(mapping_options,
                                                          config_.mapping_reload_interval);
    auto channels = build_channels(config_, *mappings_);
    if (!channels) {
      return channels.error();
    }
    committer_ = std::make_unique<store::GroupCommitter>(std::move(*writer), commit_options);
    if (auto started = start_pruner(); !started) {
      return started.error();
    }
    // The router reads through its own connection and writes its outcomes through the
    // committer's writer thread: one writer, so it never waits for the journal's write lock.
    // Its written batches wake the delivery workers of the queues they filled.
    std::vector<router::Channel> delivered = *channels;
    router_ = std::make_unique<router::Router>(
        std::move(*reader), config_,
        [this](std::span<const store::StatusUpdate> updates) {
          return committer_->set_statuses(updates);
        },
        std::move(*channels), open_timeline(),
        [this](std::span<const store::StatusUpdate> updates) {
          if (deliveries_) {
            deliveries_->queued(updates);
          }
        });
    if (auto started = start_deliveries(std::move(delivered)); !started) {
      return started.error();
    }
    router::Ingest::CharsetOverrides charsets;
    for (const auto& l : config_.listeners) {
      if (!l.charset.empty()) {
        charsets[l.name] = l.charset;
      }
    }
    ingest_ = std::make_unique<router::Ingest>(
        *committer_, std::move(charsets),
        [this](const std::string& source, std::int64_t id) { router_->notify(source, id); });
    for (const auto& l : config_.listeners) {
      ingest_->add_source(l.name);
    }
    for (const auto& c : config_.channels) {
      const auto mapping = c.mapping.empty() ? nullptr : mappings_->current(c.mapping);
      if (mapping && mapping->program().input == mapping::Program::Input::xml) {
        ingest_->accept_vendor_xml(c.source);
      }
    }
    if (timeline_worker_) {
      timeline_worker_->start();  // records what an earlier run left in the inbox, too
    }
    deliveries_->start();  // delivers what an earlier run left in the queues, too
    start_back_pressure();  // with the workers: queues left deep pause their sources soon
    router_->start();
    mappings_->start();
    for (const auto& l : config_.listeners) {
      if (auto started = start_listener(l); !started) {
        stop();
        return started.error();
      }
    }
    if (auto started = start_admin(std::move(*admin_reader)); !started) {
      stop();
      return started.error();
    }
    const unsigned threads = std::max(2u, std::thread::hardware_concurrency());
    work_.emplace(ioc_.get_executor());
    for (unsigned i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
    // Now, while the file is the one the engine started on: a reload tells what changed.
    reloader_ = std::make_unique<ConfigReloader>(config_, reload_hooks());
    asio::post(certificate_strand_, [this] { check_certificates(); });
    return {};
  }

  std::uint16_t admin_port() const { return admin_server_ ? admin_server_->port() : 0; }

  std::uint16_t port(std::string_view name) const {
    auto it = listeners_.find(std::string(name));
    return it == listeners_.end() ? 0 : it->second->port();
  }

  void run_until_signal() {
    asio::io_context signals_ioc;
    asio::signal_set signals(signals_ioc, SIGINT, SIGTERM, SIGHUP);
    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int signal) {
          if (ec) {
            return;
          }
          if (signal != SIGHUP) {
            spdlog::info("signal {}: shutting down", signal);
            // Now, not after the drain: systemd then knows the stop is under way.
            notify_service_manager("STOPPING=1");
            return;
          }
          reload();
          signals.async_wait(on_signal);
        };
    signals.async_wait(on_signal);
    signals_ioc.run();
    stop();
  }

  ReloadOutcome reload() {
    if (!reloader_) {
      return {true, {"the engine is not running"}, {}, {}};
    }
    spdlog::info("config reload: reading {}", config_.file.string());
    notify_service_manager("RELOADING=1");
    ReloadOutcome outcome = reloader_->reload();
    notify_service_manager("READY=1");
    return outcome;
  }

  void stop() {
    // First: the daily check reads the parts stopped below. On the check's strand, so that
    // none runs after this returns.
    if (!threads_.empty()) {
      std::promise<void> cancelled;
      asio::post(certificate_strand_, [&] {
        certificates_stopped_ = true;
        certificate_timer_.cancel();
        cancelled.set_value();
      });
      cancelled.get_future().wait();
    }
    // The admin API first: its collectors read every part below.
    if (admin_server_) {
      admin_server_->stop();
    }
    if (admin_handler_) {
      admin_handler_->stop();
    }
    for (auto& [name, listener] : listeners_) {
      listener->stop();
    }
    // The router writes through the committer, so it stops first; what it leaves `received`
    // it resumes from at the next start.
    if (mappings_) {
      mappings_->stop();
    }
    if (router_) {
      router_->stop();
    }
    // Before the workers whose depths it reads.
    if (back_pressure_) {
      back_pressure_->stop();
    }
    // After the router, which fills the queues; before the committer, which writes their
    // outcomes. Entries in hand are finished; the rest wait in the journal for the next start.
    if (deliveries_) {
      deliveries_->stop();
    }
    // After the router: it records the router's last batches.
    if (timeline_worker_) {
      timeline_worker_->stop();
    }
    // Before the committer: it writes to the same journal (and the same lock) as ingest.
    if (pruner_) {
      pruner_->stop();
    }
    // The commits in flight finish and their answers are posted before the pool stops.
    if (committer_) {
      committer_->stop();
    }
    // The pool runs out on its own once the connections have written the answers the
    // committer's last dones posted and closed; a connection that does not go (a sender that
    // stopped reading) is cut off after kDrainTime.
    work_.reset();
    const auto deadline = std::chrono::steady_clock::now() + kDrainTime;
    while (!threads_.empty() && !ioc_.stopped() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ioc_.stop();
    for (auto& t : threads_) {
      t.join();
    }
    threads_.clear();
    listeners_.clear();
  }

 private:
  // One started inbound adapter, whatever its protocol.
  class Running {
   public:
    virtual ~Running() = default;
    virtual void stop() = 0;
    virtual std::uint16_t port() const = 0;
    // New source limits from a config reload; false when this kind of listener cannot take
    // them while it runs.
    virtual bool set_limits(const config::ListenerConfig&) { return false; }
    // The TLS context new connections get, and its replacement (a reload read the files
    // again); null and false for a listener without TLS.
    virtual std::shared_ptr<asio::ssl::context> tls_context() const { return nullptr; }
    virtual bool replace_tls_context(std::shared_ptr<asio::ssl::context>) { return false; }
  };

  template <class Listener>
  class RunningListener final : public Running {
   public:
    explicit RunningListener(std::unique_ptr<Listener> listener) : listener_(std::move(listener)) {}
    void stop() override { listener_->stop(); }
    bool set_limits(const config::ListenerConfig& l) override {
      // Each read from the config, which the reader has checked already.
      if constexpr (requires { listener_->set_limits(*mllp::listener_limits(l)); }) {
        return take_limits(mllp::listener_limits(l));
      } else if constexpr (requires { listener_->set_limits(*http::listener_limits(l)); }) {
        return take_limits(http::listener_limits(l));
      } else {
        return false;
      }
    }
    std::shared_ptr<asio::ssl::context> tls_context() const override {
      if constexpr (requires { listener_->tls_context(); }) {
        return listener_->tls_context();
      } else {
        return nullptr;
      }
    }
    bool replace_tls_context(std::shared_ptr<asio::ssl::context> next) override {
      if constexpr (requires { listener_->replace_tls_context(next); }) {
        return listener_->replace_tls_context(std::move(next));
      } else {
        return false;
      }
    }
    std::uint16_t port() const override {
      if constexpr (requires { listener_->port(); }) {
        return listener_->port();
      } else {
        return 0;
      }
    }

   private:
    template <class Limits>
    bool take_limits(Limits limits) {
      if (limits) {
        listener_->set_limits(std::move(*limits));
      }
      return static_cast<bool>(limits);
    }

    std::unique_ptr<Listener> listener_;
  };

  // Starts `listener` and keeps it; the error names the listener and what went wrong.
  template <class Listener>
  Result<void, std::string> keep(const config::ListenerConfig& l,
                                 std::unique_ptr<Listener> listener, std::string_view where) {
    if (auto started = listener->start(); !started) {
      return "listener " + l.name + " (" + std::string(where) + "): " + started.error().message();
    }
    register_listener_metrics(registry_, l.name, *listener);
    listeners_[l.name] = std::make_unique<RunningListener<Listener>>(std::move(listener));
    return {};
  }

  // The turnaround timeline, in the journal's database: the router's connection (it hands
  // each batch's marks to the inbox), the worker's (it records them) and the admin side's (it
  // reads). One that cannot be opened is logged and left out rather than stopping the engine:
  // messages are still stored, acknowledged and delivered, and the turnaround API answers 503.
  // No intervals configured: no timeline at all.
  router::RouterTimeline open_timeline() {
    router::RouterTimeline out;
    const config::TurnaroundConfig& turnaround = config_.turnaround;
    if (turnaround.intervals.empty()) {
      return out;
    }
    const auto open = [&] {
      return timeline::open_timeline(config_.store.location, turnaround.intervals);
    };
    auto writer = open();
    auto worker = writer ? open() : std::move(writer);
    auto reader = worker ? open() : std::move(worker);
    if (!reader) {
      spdlog::error("timeline {}: {}; turnaround figures are not recorded in this run",
                    store::redacted_location(config_.store.location), reader.error().message());
      return out;
    }
    turnaround_metrics_ = std::make_unique<TurnaroundMetrics>(registry_, turnaround.intervals,
                                                              turnaround.metric_departments);
    timeline_worker_ = std::make_unique<timeline::TimelineWorker>(
        std::move(*worker), [metrics = turnaround_metrics_.get()](
                                std::span<const timeline::RecordedInterval> recorded) {
          metrics->observe(recorded);
        });
    out.store = std::move(*writer);
    out.on_enqueued = [worker = timeline_worker_.get()] { worker->notify(); };
    admin_timeline_ = std::make_shared<admin::SharedTimeline>(std::move(*reader));
    return out;
  }

  // The delivery workers, one per destination queue, each reading through a connection of its
  // own and writing outcomes through the committer. Their `accepted`/`delivered` marks go to
  // the timeline's inbox through one more timeline connection, shared under a lock.
  Result<void, std::string> start_deliveries(std::vector<router::Channel> channels) {
    delivery::DeliveryService::Setup setup;
    setup.channels = std::move(channels);
    setup.open_reader = [this] { return store::open_store(config_.store.location); };
    setup.write = [this](std::span<const store::DeliveryUpdate> updates) {
      return committer_->write(
          [updates](store::Store& store) { return store.update_deliveries(updates); });
    };
    setup.counters = [this](std::string_view channel, std::string_view destination) {
      return router_->destination_counters(channel, destination);
    };
    if (timeline_worker_) {
      auto marks = timeline::open_timeline(config_.store.location, config_.turnaround.intervals);
      if (!marks) {
        spdlog::error("timeline {}: {}; delivery times are not recorded in this run",
                      store::redacted_location(config_.store.location), marks.error().message());
      } else {
        // Marks the inbox does not take are held and handed again with the next deliveries',
        // and by the timeline worker before each drain, at least once a poll, so those of a
        // line's last deliveries do not wait for the next (timeline::MarkBacklog logs it).
        struct DeliveryMarks {
          std::unique_ptr<timeline::TimelineStore> store;
          std::mutex mutex;
          timeline::MarkBacklog backlog{"delivery", "delivery marks"};
        };
        auto shared = std::make_shared<DeliveryMarks>();
        shared->store = std::move(*marks);
        delivery_held_marks_ = [shared] { return shared->backlog.held(); };
        timeline_worker_->set_before_drain([shared] {
          const std::lock_guard lock(shared->mutex);
          static_cast<void>(shared->backlog.retry(*shared->store));  // nothing held: no call
        });
        setup.marks = [shared, worker = timeline_worker_.get()](
                          std::span<const timeline::Mark> m) {
          {
            const std::lock_guard lock(shared->mutex);
            if (!shared->backlog.enqueue(*shared->store, m)) {
              return;
            }
          }
          worker->notify();
        };
      }
    }
    auto service = delivery::DeliveryService::create(config_, std::move(setup));
    if (!service) {
      return service.error();
    }
    deliveries_ = std::move(*service);
    register_client_certificate_metrics(registry_, [this] { return client_certificates(); });
    return {};
  }

  // The certificates the destinations present to their servers (mutual TLS), as they are now.
  // Read from the admin server's thread: the workers are fixed once made, and each
  // destination's context is swapped under its own lock.
  std::vector<ClientCertificate> client_certificates() const {
    std::vector<ClientCertificate> out;
    for (const auto& worker : deliveries_->workers()) {
      const router::Destination& destination = worker->destination();
      if (const auto context = destination.tls_context()) {
        if (const auto expiry = tls::certificate_expiry(*context)) {
          out.push_back({worker->channel(), destination.name(), *expiry});
        }
      }
    }
    return out;
  }

  // Back-pressure: a source pauses while a queue of its channels holds more than its
  // destination's max_queue_depth, and resumes when they are all back at 80% of it.
  void start_back_pressure() {
    back_pressure_ = std::make_unique<delivery::BackPressure>(
        delivery::watched_queues(config_, delivery::worker_depths(*deliveries_)),
        [this](const std::string& source, bool paused, std::string_view reason) {
          ingest_->set_paused(source, paused, reason);
        });
    back_pressure_->start();
  }

  // Retention (store.retention): a pruner with its own connection to the journal, so it
  // never queues behind the committer's writer thread. None without max_age or max_size.
  Result<void, std::string> start_pruner() {
    const config::RetentionConfig& retention = config_.store.retention;
    if (retention.max_age.count() <= 0 && retention.max_size_bytes <= 0) {
      return {};
    }
    auto connection = store::open_store(config_.store.location);
    if (!connection) {
      return "store " + store::redacted_location(config_.store.location) + ": " +
             connection.error().message();
    }
    store::PrunerOptions options;
    options.max_age = retention.max_age;
    options.max_size_bytes = retention.max_size_bytes;
    options.min_age = config_.store.duplicate_window;
    options.batch = retention.batch;
    options.interval = retention.interval;
    pruner_ = std::make_unique<store::Pruner>(std::move(*connection), options);
    pruner_->start();
    const auto every =
        std::chrono::duration_cast<std::chrono::seconds>(retention.interval).count();
    if (retention.max_age.count() > 0) {
      spdlog::info("store: retention deletes final messages older than {} s, every {} s",
                   retention.max_age.count(), every);
    }
    if (retention.max_size_bytes > 0) {
      spdlog::info("store: retention keeps the journal's data under {} bytes (checked every {} s)",
                   retention.max_size_bytes, every);
    }
    return {};
  }

  // Metrics, then the admin HTTP server on config.admin (port 0: the system's choice).
  Result<void, std::string> start_admin(std::unique_ptr<store::Store> reader) {
    auto journal = std::make_shared<admin::SharedStore>(std::move(reader));
    audit_ = std::make_shared<audit::AuditTrail>(
        [journal](const store::NewAuditEntry& row) {
          return journal->with([&](store::Store& s) { return s.append_audit(row); });
        },
        audit_file_);
    registry_
        .gauge("hisbridge_start_time_seconds", "When the engine started (Unix time).")
        .set(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                 .count());
    register_ingest_metrics(registry_, *ingest_, config_);
    register_router_metrics(registry_, *router_, config_);
    register_store_metrics(registry_, *committer_, journal);
    register_retention_metrics(registry_, pruner_.get());
    register_mapping_metrics(registry_, *mappings_);
    register_timeline_metrics(registry_, *router_, timeline_worker_.get(), admin_timeline_,
                              [this] {
                                return router_->timeline_held_marks() +
                                       (delivery_held_marks_ ? delivery_held_marks_() : 0);
                              },
                              config_.turnaround.overdue_lookback);
    admin::AdminSources sources{&config_, &registry_, router_.get(), ingest_.get(),
                                mappings_.get(), [this] { return not_ready(); }};
    sources.timeline = admin_timeline_;
    sources.overdue_lookback = config_.turnaround.overdue_lookback;
    sources.rewind = [this](const std::string& source) { router_->rewind(source); };
    sources.audit = audit_;
    sources.certificates = [this] { return certificates(); };
    admin_handler_ = std::make_unique<admin::AdminHandler>(std::move(sources), journal);
    // HTTPS with admin.tls: a TLS file that is missing or wrong stops the start.
    auto options = http::admin_server_options(config_.admin);
    if (!options) {
      return options.error();
    }
    admin_server_ = std::make_unique<http::HttpServer>(ioc_, config_.admin.host, config_.admin.port,
                                                       *admin_handler_, std::move(*options));
    if (auto started = admin_server_->start(); !started) {
      return "admin server (" + config_.admin.host + ":" + std::to_string(config_.admin.port) +
             "): " + started.error().message();
    }
    register_admin_server_metrics(registry_, *admin_server_);
    spdlog::info("admin: listening on {}:{} ({}: /metrics, /healthz, /readyz, /api/v1/channels, "
                 "/api/v1/messages, /api/v1/turnaround, /api/v1/overdue)",
                 config_.admin.host, admin_server_->port(),
                 config_.admin.tls.enabled ? "https" : "http");
    spdlog::info("audit: operator actions appended to {} (and the journal)",
                 audit_file_->path().string());
    return {};
  }

  // For /readyz: every configured listener started and bound (a drop folder: still there).
  std::vector<std::string> not_ready() const {
    std::vector<std::string> out;
    for (const auto& l : config_.listeners) {
      const auto it = listeners_.find(l.name);
      std::error_code ec;
      if (it == listeners_.end()) {
        out.push_back("listener " + l.name + " is not running");
      } else if (l.type != config::ListenerType::file && it->second->port() == 0) {
        out.push_back("listener " + l.name + " is not bound");
      } else if (l.type == config::ListenerType::file &&
                 !std::filesystem::is_directory(l.folder, ec)) {
        out.push_back("drop folder " + l.folder + " of listener " + l.name + " is missing");
      }
    }
    return out;
  }

  Result<void, std::string> start_listener(const config::ListenerConfig& l) {
    const std::string endpoint = l.host + ":" + std::to_string(l.port);
    switch (l.type) {
      case config::ListenerType::mllp: {
        // Limits, allow-list and TLS; a TLS file that is missing or wrong stops the start.
        auto options = mllp::listener_options(l);
        if (!options) {
          return options.error();
        }
        return keep(l, std::make_unique<mllp::MllpListener>(ioc_, std::move(*options), *ingest_),
                    endpoint);
      }
      case config::ListenerType::http: {
        // Limits, allow-list, message_timeout and TLS; a TLS file that is missing or wrong
        // stops the start.
        auto options = http::ingest_options(l);
        if (!options) {
          return options.error();
        }
        auto listener =
            std::make_unique<http::HttpIngestListener>(ioc_, std::move(*options), *ingest_);
        auto kept = keep(l, std::move(listener), endpoint);
        if (kept) {
          spdlog::info("http {}: POST /ingest/{} on {}:{} ({})", l.name, l.name, l.host,
                       port(l.name),
                       !l.tls.enabled                        ? "http"
                       : l.tls.require_client_certificate ? "https, client certificate required"
                                                          : "https");
        }
        return kept;
      }
      case config::ListenerType::file: {
        file::DropFolderOptions options;
        options.name = l.name;
        options.folder = l.folder;
        options.poll_interval = l.poll_interval;
        options.charset = l.charset;
        options.max_file_bytes = std::max<std::size_t>(options.max_file_bytes, l.max_frame_bytes);
        auto kept = keep(l, std::make_unique<file::DropFolderListener>(ioc_, options, *ingest_),
                         l.folder);
        if (kept) {
          spdlog::info("file {}: watching {}", l.name, l.folder);
        }
        return kept;
      }
    }
    return "listener " + l.name + ": unknown type";
  }

  const config::DestinationConfig* destination_config(const std::string& channel,
                                                      const std::string& name) const {
    for (const config::ChannelConfig& c : config_.channels) {
      for (const config::DestinationConfig& d : c.destinations) {
        if (c.name == channel && d.name == name) {
          return &d;
        }
      }
    }
    return nullptr;
  }

  // Every running TLS endpoint: the listeners, the admin server, the MLLP destinations.
  std::vector<TlsEndpoint> tls_endpoints() {
    std::vector<TlsEndpoint> endpoints;
    for (const config::ListenerConfig& l : config_.listeners) {
      const auto it = listeners_.find(l.name);
      if (!l.tls.enabled || it == listeners_.end()) {
        continue;
      }
      Running* listener = it->second.get();
      endpoints.push_back({"listener " + l.name, &l.tls, [listener] { return listener->tls_context(); },
                         [listener](std::shared_ptr<asio::ssl::context> next) {
                           return listener->replace_tls_context(std::move(next));
                         }});
    }
    if (config_.admin.tls.enabled && admin_server_) {
      http::HttpServer* admin = admin_server_.get();
      endpoints.push_back({"admin", &config_.admin.tls, [admin] { return admin->tls_context(); },
                         [admin](std::shared_ptr<asio::ssl::context> next) {
                           return admin->replace_tls_context(std::move(next));
                         }});
    }
    if (deliveries_) {
      for (const auto& worker : deliveries_->workers()) {
        router::Destination* destination = &worker->destination();
        const config::DestinationConfig* d = destination_config(worker->channel(), destination->name());
        if (d == nullptr || !d->tls.enabled || !destination->tls_context()) {
          continue;
        }
        endpoints.push_back({"destination " + worker->channel() + "/" + d->name, &d->tls,
                           [destination] { return destination->tls_context(); },
                           [destination](std::shared_ptr<asio::ssl::context> next) {
                             return destination->replace_tls_context(std::move(next));
                           },
                           true, d->verify_tls});
      }
    }
    return endpoints;
  }

  // Every TLS endpoint reads its files again (the names it started with).
  std::vector<TlsReread> reread_tls_files() {
    std::vector<TlsReread> out;
    for (const TlsEndpoint& endpoint : tls_endpoints()) {
      out.push_back(reread_tls(endpoint));
    }
    return out;
  }

  std::vector<admin::ServerCertificate> certificates() {
    std::vector<admin::ServerCertificate> out;
    for (const TlsEndpoint& endpoint : tls_endpoints()) {
      if (const auto expiry = certificate_expiry(endpoint)) {
        out.push_back({endpoint.name, *expiry});
      }
    }
    return out;
  }

  // A certificate near its end is logged at start and then once a day, so that a site without
  // metrics alerting still sees it coming (renewing takes a reload: reread_tls_files).
  void check_certificates() {
    if (certificates_stopped_) {
      return;
    }
    const auto now = std::chrono::system_clock::now();
    for (const admin::ServerCertificate& c : certificates()) {
      if (auto warning = expiry_warning(c.server, c.expires_at, now,
                                        admin::kCertificateWarningDays)) {
        spdlog::warn("{}", *warning);
      }
    }
    certificate_timer_.expires_after(std::chrono::hours(24));
    certificate_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) {
        check_certificates();
      }
    });
  }

  ReloadHooks reload_hooks() {
    ReloadHooks hooks;
    if (admin_handler_) {
      hooks.admin = [this](const config::AdminConfig& admin) { admin_handler_->set_access(admin); };
    }
    hooks.listener_limits = [this](const config::ListenerConfig& l) {
      const auto it = listeners_.find(l.name);
      return it != listeners_.end() && it->second->set_limits(l);
    };
    hooks.tls = [this] { return reread_tls_files(); };
    if (audit_) {
      // Who sent the signal is not known to the process: the audit entry says how it came.
      hooks.audit = [audit = audit_](const nlohmann::ordered_json& detail) {
        return audit->append("SIGHUP", "config-reload", detail);
      };
    }
    return hooks;
  }

  config::Config config_;
  std::unique_ptr<ConfigReloader> reloader_;  // made when start() succeeds
  asio::io_context ioc_;
  // The daily certificate check (check_certificates), on a strand of its own.
  asio::strand<asio::io_context::executor_type> certificate_strand_{ioc_.get_executor()};
  asio::steady_timer certificate_timer_{certificate_strand_};
  bool certificates_stopped_ = false;  // on certificate_strand_
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::unique_ptr<store::GroupCommitter> committer_;
  std::unique_ptr<store::Pruner> pruner_;  // none without a store.retention rule
  // The delivery marks held for the timeline (thread-safe); unset without a timeline.
  std::function<std::size_t()> delivery_held_marks_;
  std::unique_ptr<mapping::MappingWatcher> mappings_;  // before the router: it reads them
  std::unique_ptr<router::Router> router_;
  std::unique_ptr<delivery::DeliveryService> deliveries_;  // after the router: its counters
  std::unique_ptr<router::Ingest> ingest_;
  std::unique_ptr<delivery::BackPressure> back_pressure_;  // after what it reads and sets
  std::map<std::string, std::unique_ptr<Running>> listeners_;
  metrics::Registry registry_;
  std::unique_ptr<TurnaroundMetrics> turnaround_metrics_;  // the worker feeds it; after registry_
  std::unique_ptr<timeline::TimelineWorker> timeline_worker_;  // after the metrics it feeds
  std::shared_ptr<admin::SharedTimeline> admin_timeline_;
  std::shared_ptr<audit::AuditFile> audit_file_;  // opened in start() before anything runs
  // Where operator actions are recorded: the admin API's, and anything else the engine is
  // asked to do (a config reload): the admin side's journal and the audit file.
  std::shared_ptr<audit::AuditTrail> audit_;
  std::unique_ptr<admin::AdminHandler> admin_handler_;
  std::unique_ptr<http::HttpServer> admin_server_;  // after its handler: it goes first
};

Engine::Engine(config::Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Engine::~Engine() { impl_->stop(); }
Result<void, std::string> Engine::start() { return impl_->start(); }
std::uint16_t Engine::port(std::string_view listener) const { return impl_->port(listener); }
std::uint16_t Engine::admin_port() const { return impl_->admin_port(); }
void Engine::run_until_signal() { impl_->run_until_signal(); }
ReloadOutcome Engine::reload() { return impl_->reload(); }
void Engine::stop() { impl_->stop(); }

}  // namespace hisbridge::app
