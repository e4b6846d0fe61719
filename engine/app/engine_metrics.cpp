#include "engine/app/engine_metrics.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace hisbridge::app {
namespace {

using metrics::MetricType;
using metrics::Sample;

double value(const std::atomic<std::uint64_t>& a) {
  return static_cast<double>(a.load(std::memory_order_relaxed));
}

// A counter family with one sample per configured source, read from `stats`.
void per_source(metrics::Registry& r, const char* name, const char* help,
                const router::Ingest& ingest, const config::Config& config,
                std::atomic<std::uint64_t> router::IngestCounters::*field) {
  std::vector<std::string> sources;
  for (const auto& l : config.listeners) {
    sources.push_back(l.name);
  }
  r.add_collector(name, help, MetricType::counter, [&ingest, sources, field](auto& out) {
    for (const std::string& s : sources) {
      if (const router::SourceIngestStats* stats = ingest.source_stats(s)) {
        out.push_back({{{"source", s}}, value(stats->counters.*field)});
      }
    }
  });
}

}  // namespace

void register_ingest_metrics(metrics::Registry& r, const router::Ingest& ingest,
                             const config::Config& config) {
  using C = router::IngestCounters;
  per_source(r, "hisbridge_messages_received_total",
             "Messages handed to ingest by the source's listener.", ingest, config, &C::received);
  per_source(r, "hisbridge_messages_accepted_total",
             "Messages stored and answered AA/CA (duplicates included).", ingest, config,
             &C::accepted);
  per_source(r, "hisbridge_messages_rejected_total",
             "Messages that could not be read: stored as rejected and answered AR/CR.", ingest,
             config, &C::rejected);
  per_source(r, "hisbridge_messages_duplicates_total",
             "Accepted messages seen before within the duplicate window (not processed again).",
             ingest, config, &C::duplicates);
  per_source(r, "hisbridge_messages_control_id_reused_total",
             "Accepted messages whose control id, sending application and facility were seen "
             "within the duplicate window with other content: processed as new messages.",
             ingest, config, &C::reused_control_ids);
  per_source(r, "hisbridge_messages_store_failures_total",
             "Messages that could not be stored: answered AR/CR with ERR-3 207, to be resent.",
             ingest, config, &C::store_failures);
  std::vector<std::string> sources;
  for (const auto& l : config.listeners) {
    sources.push_back(l.name);
  }
  r.add_histogram_collector(
      "hisbridge_ack_latency_seconds",
      "Seconds from receiving a message to its ACK being ready (after the durable commit).",
      [&ingest, sources](auto& out) {
        for (const std::string& s : sources) {
          if (const router::SourceIngestStats* stats = ingest.source_stats(s)) {
            out.push_back({{{"source", s}}, stats->ack_latency.snapshot()});
          }
        }
      });
  const auto per_source_pause = [&r, &ingest, &sources](const char* name, const char* help,
                                                        MetricType type, auto read) {
    r.add_collector(name, help, type, [&ingest, sources, read](auto& out) {
      for (const std::string& s : sources) {
        if (const router::SourceIngestStats* stats = ingest.source_stats(s)) {
          out.push_back({{{"source", s}}, read(*stats)});
        }
      }
    });
  };
  per_source_pause("hisbridge_ingest_paused",
                   "1 while back-pressure pauses the source (a queue of its channels is over its "
                   "max_queue_depth), else 0.",
                   MetricType::gauge, [](const router::SourceIngestStats& s) {
                     return s.paused.load(std::memory_order_relaxed) ? 1.0 : 0.0;
                   });
  per_source_pause("hisbridge_ingest_pauses_total",
                   "Times back-pressure paused the source.", MetricType::counter,
                   [](const router::SourceIngestStats& s) { return value(s.pauses); });
}

void register_router_metrics(metrics::Registry& r, const router::Router& router,
                             const config::Config& config) {
  r.add_collector("hisbridge_messages_processed_total",
                  "Messages a channel took, by message type and outcome (processed or error).",
                  MetricType::counter, [&router](auto& out) {
                    for (const router::ChannelCounters& c : router.channel_counters()) {
                      for (const auto& t : c.by_type()) {
                        out.push_back({{{"channel", c.name()},
                                        {"type", t.type},
                                        {"status", t.failed ? "error" : "processed"}},
                                       static_cast<double>(t.messages)});
                      }
                    }
                  });
  const auto per_destination = [&r, &router](
                                   const char* name, const char* help,
                                   std::atomic<std::uint64_t> router::DestinationCounters::*field) {
    r.add_collector(name, help, MetricType::counter, [&router, field](auto& out) {
      for (const router::ChannelCounters& c : router.channel_counters()) {
        for (const router::DestinationCounters& d : c.destinations) {
          out.push_back({{{"channel", c.name()}, {"destination", d.name}}, value(d.*field)});
        }
      }
    });
  };
  per_destination("hisbridge_deliveries_total", "Queue entries a destination delivered.",
                  &router::DestinationCounters::delivered);
  per_destination("hisbridge_delivery_retries_total",
                  "Delivery attempts that failed for a reason that passes (retried after a "
                  "back-off).",
                  &router::DestinationCounters::retries);
  per_destination("hisbridge_delivery_failures_total",
                  "Queue entries that became dead letters (refused, or out of attempts).",
                  &router::DestinationCounters::failed);
  const auto queue_gauge = [&r, &router](const char* name, const char* help,
                                         auto read) {
    r.add_collector(name, help, MetricType::gauge, [&router, read](auto& out) {
      for (const router::ChannelCounters& c : router.channel_counters()) {
        for (const router::DestinationCounters& d : c.destinations) {
          out.push_back({{{"channel", c.name()}, {"destination", d.name}}, read(d)});
        }
      }
    });
  };
  queue_gauge("hisbridge_delivery_queue_depth",
              "Entries waiting in a destination's durable queue.",
              [](const router::DestinationCounters& d) {
                return static_cast<double>(d.pending.load(std::memory_order_relaxed));
              });
  queue_gauge("hisbridge_delivery_dead_letters",
              "Dead entries in a destination's queue, waiting for an operator's replay.",
              [](const router::DestinationCounters& d) {
                return static_cast<double>(d.dead.load(std::memory_order_relaxed));
              });
  queue_gauge("hisbridge_delivery_oldest_pending_seconds",
              "How long the oldest entry waiting in a destination's queue has waited (0: none).",
              [](const router::DestinationCounters& d) {
                const std::int64_t oldest = d.oldest_pending_us.load(std::memory_order_relaxed);
                if (oldest <= 0 || d.pending.load(std::memory_order_relaxed) <= 0) {
                  return 0.0;
                }
                const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch());
                return std::max(0.0, static_cast<double>(now.count() - oldest) / 1e6);
              });
  queue_gauge("hisbridge_delivery_backing_off",
              "1 while a destination's deliveries pause after failed attempts.",
              [](const router::DestinationCounters& d) {
                return d.backing_off.load(std::memory_order_relaxed) ? 1.0 : 0.0;
              });
  r.add_collector("hisbridge_mapping_warnings_total",
                  "Parts of messages a channel's mapping reported it left unmapped.",
                  MetricType::counter, [&router](auto& out) {
                    for (const router::ChannelCounters& c : router.channel_counters()) {
                      out.push_back({{{"channel", c.name()}}, value(c.mapping_warnings)});
                    }
                  });
  std::vector<std::string> sources;
  for (const auto& l : config.listeners) {
    sources.push_back(l.name);
  }
  r.add_collector("hisbridge_messages_unrouted_total",
                  "Messages no channel's filter took (marked processed).", MetricType::counter,
                  [&router, sources](auto& out) {
                    for (const std::string& s : sources) {
                      if (const router::SourceCounters* c = router.source_counters(s)) {
                        out.push_back({{{"source", s}}, value(c->unrouted)});
                      }
                    }
                  });
  r.add_collector("hisbridge_processing_backlog",
                  "Messages of the source stored since the start and still waiting for processing.",
                  MetricType::gauge, [&router, sources](auto& out) {
                    for (const std::string& s : sources) {
                      if (const router::SourceCounters* c = router.source_counters(s)) {
                        out.push_back({{{"source", s}}, static_cast<double>(c->waiting())});
                      }
                    }
                  });
  r.add_collector("hisbridge_router_store_errors_total",
                  "Journal reads or status writes of the router that failed (retried).",
                  MetricType::counter, [&router](auto& out) {
                    out.push_back({{}, value(router.counters().store_errors)});
                  });
}

void register_store_metrics(metrics::Registry& r, const store::GroupCommitter& committer,
                            std::shared_ptr<admin::SharedStore> store) {
  const auto commit = [&r, &committer](const char* name, const char* help,
                                       std::uint64_t store::GroupCommitter::Counters::*field) {
    r.add_collector(name, help, MetricType::counter, [&committer, field](auto& out) {
      out.push_back({{}, static_cast<double>(committer.counters().*field)});
    });
  };
  commit("hisbridge_store_commits_total", "Group commits (one transaction each).",
         &store::GroupCommitter::Counters::commits);
  commit("hisbridge_store_committed_messages_total", "Messages written by group commits.",
         &store::GroupCommitter::Counters::messages);
  commit("hisbridge_store_syncs_total", "Syncs to disk that made commits durable.",
         &store::GroupCommitter::Counters::syncs);
  commit("hisbridge_store_commit_failures_total", "Commits or syncs that failed.",
         &store::GroupCommitter::Counters::failed_commits);
  // Each family asks the journal itself: stats() reads a five-row table and two file sizes.
  r.add_collector("hisbridge_store_size_bytes",
                  "Size of the journal on disk (SQLite: the file and its WAL; PostgreSQL: the "
                  "messages table with its indexes).",
                  MetricType::gauge, [store](auto& out) {
                    const auto stats = store->with([](store::Store& s) { return s.stats(); });
                    if (stats) {
                      out.push_back({{}, static_cast<double>(stats->size_bytes)});
                    }
                  });
  r.add_collector("hisbridge_store_data_bytes",
                  "Live data in the journal, what store.retention.max_size bounds (SQLite: the "
                  "pages in use; PostgreSQL: an estimate, its files keep freed space for reuse).",
                  MetricType::gauge, [store](auto& out) {
                    const auto bytes = store->with([](store::Store& s) { return s.data_bytes(); });
                    if (bytes) {
                      out.push_back({{}, static_cast<double>(*bytes)});
                    }
                  });
  r.add_collector(
      "hisbridge_store_messages", "Messages in the journal, by status.", MetricType::gauge,
      [store](auto& out) {
        const auto stats = store->with([](store::Store& s) { return s.stats(); });
        if (!stats) {
          return;
        }
        for (const auto& [status, n] :
             {std::pair{"received", stats->received}, std::pair{"processed", stats->processed},
              std::pair{"error", stats->error}, std::pair{"rejected", stats->rejected},
              std::pair{"duplicate", stats->duplicate}}) {
          out.push_back({{{"status", status}}, static_cast<double>(n)});
        }
      });
}

void register_retention_metrics(metrics::Registry& r, const store::Pruner* pruner) {
  r.add_collector("hisbridge_store_pruned_messages_total",
                  "Messages deleted from the journal by retention (store.retention: max_age, "
                  "max_size).",
                  MetricType::counter, [pruner](auto& out) {
                    const double n =
                        pruner ? static_cast<double>(pruner->counters().pruned) : 0.0;
                    out.push_back({{}, n});
                  });
}

void register_mapping_metrics(metrics::Registry& r, const mapping::MappingWatcher& mappings) {
  r.add_collector("hisbridge_config_reload_failures_total",
                  "Changed mapping or lookup-table files refused on reload (the running version "
                  "stays).",
                  MetricType::counter, [&mappings](auto& out) {
                    out.push_back({{}, static_cast<double>(mappings.reload_failures())});
                  });
  const auto per_file = [&r, &mappings](const char* name, const char* help, MetricType type,
                                        double (*read)(const mapping::MappingStatus&)) {
    r.add_collector(name, help, type, [&mappings, read](auto& out) {
      for (const mapping::MappingStatus& s : mappings.statuses()) {
        out.push_back({{{"file", s.file}}, read(s)});
      }
    });
  };
  per_file("hisbridge_mapping_reloads_total", "Successful hot reloads of the mapping file.",
           MetricType::counter,
           [](const mapping::MappingStatus& s) { return static_cast<double>(s.reloads); });
  per_file("hisbridge_mapping_reload_failures_total", "Refused reloads of the mapping file.",
           MetricType::counter,
           [](const mapping::MappingStatus& s) { return static_cast<double>(s.failures); });
  per_file(
      "hisbridge_mapping_loaded_timestamp_seconds",
      "When the running version of the mapping file was loaded (Unix time).", MetricType::gauge,
      [](const mapping::MappingStatus& s) { return static_cast<double>(s.loaded_at_us) / 1e6; });
}

namespace {

// Families that every listener with these limits shares (MLLP, HTTP ingest, the admin server):
// one help text each, since a family registered twice must say the same.
constexpr const char* kConnectionsRefusedHelp =
    "Connections refused at accept, by reason: not_allowed (not in allow_from) and per_ip_limit "
    "(max_connections_per_ip), closed before a byte was read; over_limit (max_connections), "
    "closed at once (MLLP) or answered 503 (HTTP).";
constexpr const char* kHandshakeFailuresHelp =
    "TLS handshakes that failed or timed out (no or a refused client certificate, not TLS, an "
    "old protocol version).";
constexpr const char* kCertificateExpiryHelp =
    "When the listener's TLS certificate expires (notAfter, Unix time).";

// The listener's limits and TLS (docs/metrics.md); named hisbridge_listener_* and
// hisbridge_tls_* rather than hisbridge_mllp_*, as any listener with these limits reports them.
void register_listener_limit_metrics(metrics::Registry& r, const std::string& name,
                                     const mllp::MllpListener& listener) {
  using C = mllp::MllpListenerCounters;
  r.add_collector(
      "hisbridge_listener_connections_refused_total", kConnectionsRefusedHelp,
      MetricType::counter, [&listener, name](auto& out) {
        const C& c = listener.counters();
        out.push_back({{{"listener", name}, {"reason", "not_allowed"}},
                       value(c.connections_refused_not_allowed)});
        out.push_back({{{"listener", name}, {"reason", "per_ip_limit"}},
                       value(c.connections_refused_per_ip_limit)});
        out.push_back({{{"listener", name}, {"reason", "over_limit"}},
                       value(c.connections_refused_over_limit)});
      });
  const auto add = [&](const char* metric, const char* help,
                       std::atomic<std::uint64_t> C::*field) {
    r.add_collector(metric, help, MetricType::counter, [&listener, name, field](auto& out) {
      out.push_back({{{"listener", name}}, value(listener.counters().*field)});
    });
  };
  add("hisbridge_listener_message_timeouts_total",
      "Connections closed because a message begun was not complete within message_timeout.",
      &C::message_timeouts);
  add("hisbridge_listener_frames_throttled_total",
      "Frames that waited because their connection was over max_frames_per_second.",
      &C::frames_throttled);
  if (!listener.certificate_expiry()) {
    return;  // plain MLLP
  }
  add("hisbridge_tls_handshake_failures_total", kHandshakeFailuresHelp,
      &C::tls_handshake_failures);
  r.add_collector("hisbridge_tls_certificate_expiry_timestamp_seconds", kCertificateExpiryHelp,
                  MetricType::gauge, [&listener, name](auto& out) {
                    if (const auto expiry = listener.certificate_expiry()) {
                      out.push_back({{{"listener", name}},
                                     std::chrono::duration<double>(expiry->time_since_epoch())
                                         .count()});
                    }
                  });
}

// An HTTP server's door (HttpServerCounters) under the families above, label `listener`
// ("admin" for the admin server). The TLS families only when TLS is on.
// `expiry` reads the certificate the server presents now (nullopt without TLS); it and
// `counters` outlive the registry's collectors (the listener or admin server owns them).
using CertificateExpiry = std::function<std::optional<std::chrono::system_clock::time_point>()>;
void register_http_server_metrics(metrics::Registry& r, const std::string& name,
                                  const http::HttpServerCounters& counters,
                                  CertificateExpiry expiry) {
  r.add_collector(
      "hisbridge_listener_connections_refused_total", kConnectionsRefusedHelp,
      MetricType::counter, [&counters, name](auto& out) {
        out.push_back({{{"listener", name}, {"reason", "not_allowed"}},
                       value(counters.refused_not_allowed)});
        out.push_back({{{"listener", name}, {"reason", "per_ip_limit"}},
                       value(counters.refused_per_ip_limit)});
        out.push_back({{{"listener", name}, {"reason", "over_limit"}},
                       value(counters.refused_over_limit)});
      });
  if (!expiry()) {
    return;  // plain HTTP
  }
  r.add_collector("hisbridge_tls_handshake_failures_total", kHandshakeFailuresHelp,
                  MetricType::counter, [&counters, name](auto& out) {
                    out.push_back({{{"listener", name}}, value(counters.tls_handshake_failures)});
                  });
  // Read at each scrape: a reload may have given the server a renewed certificate.
  r.add_collector("hisbridge_tls_certificate_expiry_timestamp_seconds", kCertificateExpiryHelp,
                  MetricType::gauge, [expiry = std::move(expiry), name](auto& out) {
                    if (const auto at = expiry()) {
                      out.push_back({{{"listener", name}},
                                     std::chrono::duration<double>(at->time_since_epoch())
                                         .count()});
                    }
                  });
}

}  // namespace

void register_listener_metrics(metrics::Registry& r, const std::string& name,
                               const mllp::MllpListener& listener) {
  const auto add = [&](const char* metric, const char* help, MetricType type,
                       std::atomic<std::uint64_t> mllp::MllpListenerCounters::*field) {
    r.add_collector(metric, help, type, [&listener, name, field](auto& out) {
      out.push_back({{{"listener", name}}, value(listener.counters().*field)});
    });
  };
  using C = mllp::MllpListenerCounters;
  add("hisbridge_mllp_connections_total", "MLLP connections accepted and served.",
      MetricType::counter, &C::connections_accepted);
  add("hisbridge_mllp_connections_open", "MLLP connections open now.", MetricType::gauge,
      &C::connections_open);
  add("hisbridge_mllp_connections_refused_total",
      "MLLP connections closed at once because max_connections were open.", MetricType::counter,
      &C::connections_refused_over_limit);
  add("hisbridge_mllp_frames_total", "Complete MLLP frames handed to ingest.", MetricType::counter,
      &C::frames);
  add("hisbridge_mllp_frames_too_large_total",
      "Frames over max_frame_bytes (answered AR, connection closed).", MetricType::counter,
      &C::frames_too_large);
  add("hisbridge_mllp_frames_abandoned_total",
      "Unfinished frames dropped (restarted by a new start block, or cut by the peer).",
      MetricType::counter, &C::frames_abandoned);
  add("hisbridge_mllp_idle_timeouts_total", "Connections closed after idle_timeout.",
      MetricType::counter, &C::idle_timeouts);
  add("hisbridge_mllp_ignored_bytes_total", "Bytes received outside any MLLP frame.",
      MetricType::counter, &C::bytes_ignored);
  add("hisbridge_mllp_acks_total", "ACKs written back to MLLP senders.", MetricType::counter,
      &C::messages_answered);
  add("hisbridge_mllp_negative_acks_total", "ACKs written back that were not AA/CA.",
      MetricType::counter, &C::negative_acks);
  register_listener_limit_metrics(r, name, listener);
}

void register_listener_metrics(metrics::Registry& r, const std::string& name,
                               const http::HttpIngestListener& listener) {
  r.add_collector(
      "hisbridge_http_connections_open", "HTTP ingest connections open now.", MetricType::gauge,
      [&listener, name](auto& out) {
        out.push_back({{{"listener", name}}, static_cast<double>(listener.connections())});
      });
  register_http_server_metrics(r, name, listener.counters(),
                               [&listener] { return listener.certificate_expiry(); });
}

void register_admin_server_metrics(metrics::Registry& r, const http::HttpServer& server) {
  register_http_server_metrics(r, "admin", server.counters(),
                               [&server] { return server.certificate_expiry(); });
}

void register_client_certificate_metrics(
    metrics::Registry& r, std::function<std::vector<ClientCertificate>()> read) {
  r.add_collector("hisbridge_tls_client_certificate_expiry_timestamp_seconds",
                  "When the TLS certificate a destination presents to its server expires "
                  "(notAfter, Unix time).",
                  MetricType::gauge, [read = std::move(read)](auto& out) {
                    for (const ClientCertificate& c : read()) {
                      out.push_back({{{"channel", c.channel}, {"destination", c.destination}},
                                     std::chrono::duration<double>(
                                         c.expires_at.time_since_epoch())
                                         .count()});
                    }
                  });
}

void register_listener_metrics(metrics::Registry& r, const std::string& name,
                               const file::DropFolderListener& listener) {
  r.add_collector(
      "hisbridge_drop_folder_files_total",
      "Files the drop folder took, by outcome: done (moved to done/), failed (moved "
      "to error/), retried (left in place after a store failure).",
      MetricType::counter, [&listener, name](auto& out) {
        const file::DropFolderCounters c = listener.counters();
        for (const auto& [outcome, n] :
             {std::pair{"done", c.files_done}, std::pair{"failed", c.files_failed},
              std::pair{"retried", c.files_retried}}) {
          out.push_back({{{"listener", name}, {"outcome", outcome}}, static_cast<double>(n)});
        }
      });
  r.add_collector(
      "hisbridge_drop_folder_messages_total",
      "Messages read from drop folder files and handed to ingest.", MetricType::counter,
      [&listener, name](auto& out) {
        out.push_back({{{"listener", name}}, static_cast<double>(listener.counters().messages)});
      });
}

}  // namespace hisbridge::app
