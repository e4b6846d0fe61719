#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/auth/role.hpp"
#include "engine/auth/token.hpp"
#include "engine/timeline/interval_definition.hpp"

namespace hisbridge::config {

// The engine's configuration, as `config/hisbridge.json` declares it (JSON with comments).
// Defaults are the embedded set-up of design.md: SQLite store and HIS database under var/,
// MLLP for the LIS on 2575 and the RIS on 2576, admin HTTP on 127.0.0.1:8080.
// Relative paths are taken from the working directory the engine runs in.

// Retention of the journal: messages older than max_age whose processing is over (processed,
// error, rejected, duplicate) are deleted, `batch` per transaction, by a pruner that wakes
// every `interval`; and when the journal's data is over max_size, the oldest such messages
// outside the duplicate window, until it is under 90% of it. Messages still `received`, or
// waiting for a delivery, are never deleted.
struct RetentionConfig {
  std::chrono::seconds max_age{0};  // 0: keep every message for ever (the default)
  std::int64_t max_size_bytes = 0;  // 0: no size limit (the default)
  std::size_t batch = 500;
  std::chrono::milliseconds interval{std::chrono::minutes(1)};
};

struct StoreConfig {
  // `var/hisbridge.db` (SQLite), `sqlite:PATH`, or a PostgreSQL URI `postgresql://...`.
  std::string location = "var/hisbridge.db";
  // The same (sending application, facility, MSH-10) within this window is a duplicate.
  std::chrono::seconds duplicate_window{std::chrono::hours(24)};
  // At most this many messages in one group commit.
  std::size_t max_batch = 2048;
  RetentionConfig retention;
};

// TLS (OpenSSL, TLS 1.2 and later only) on a listener, the admin server or an outbound MLLP
// connection. Files are PEM; they are read when the engine starts (and again on reload), and
// one that is missing, unreadable or does not match stops the start with its name.
struct TlsConfig {
  bool enabled = false;  // the `tls` object is present
  // This side's certificate (chain) and its private key: required on a listener and the admin
  // server; on an outbound connection, the client certificate a mutual-TLS peer asks for.
  std::string certificate;
  std::string private_key;
  // Listener: the CA certificates a client certificate must chain to. Outbound: those the
  // server's certificate must chain to (empty: the system's CAs).
  std::string ca;
  // Listener: a client without a certificate that chains to `ca` is refused (mutual TLS).
  bool require_client_certificate = false;
  // Outbound: the name the server's certificate must carry (empty: the destination's host).
  std::string server_name;
  // Listener and admin: how long a client has to finish its handshake, counted from the
  // connection; past it the connection is closed and counted as a failed handshake.
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
};

enum class ListenerType { mllp, http, file };

struct ListenerConfig {
  std::string name;
  ListenerType type = ListenerType::mllp;
  std::string host = "0.0.0.0";  // mllp, http
  std::uint16_t port = 0;        // mllp, http
  std::string folder;            // file: the drop folder
  std::size_t max_frame_bytes = 16u << 20;
  std::size_t max_connections = 1000;
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds poll_interval{std::chrono::seconds(1)};  // file
  TlsConfig tls;  // mllp, http
  // Source addresses allowed to connect: "10.1.2.7", "10.1.2.0/24", "fd00::/8"; empty: any.
  // A connection from elsewhere is closed at once (and counted) before a byte is read.
  std::vector<std::string> allow_from;
  // Connections open at once from one address; one more is closed at once. 0: no limit but
  // max_connections.
  std::size_t max_connections_per_ip = 100;
  // mllp: once a message has begun (any byte after the previous message or the connect), it
  // must be complete within this, however slowly the bytes trickle in; else the connection is
  // closed (slow senders). http: the time to send a request's header and body.
  std::chrono::milliseconds message_timeout{std::chrono::minutes(2)};
  // mllp: messages one connection may send per second; beyond it the connection is read more
  // slowly (never dropped: the sender sees late ACKs). 0: no limit.
  double max_frames_per_second = 0;
  // Character set to read this source's messages in, overriding MSH-18 (for senders that
  // leave it empty or declare the wrong one), e.g. "CP1258".
  std::string charset;
};

// A condition on an HL7 path: `PID-3.4` equals `BVDK_SONLA`.
struct PathCondition {
  std::string path;
  std::string equals;
};

// Every list that is set narrows; an empty filter takes every message of the source.
struct FilterConfig {
  std::vector<std::string> message_types;         // "ORU^R01", or "ORU" for every trigger
  std::vector<std::string> sending_applications;  // MSH-3.1
  std::vector<std::string> sending_facilities;    // MSH-4.1
  std::vector<PathCondition> conditions;
};

// How a destination's queue retries a delivery that failed for a reason that passes: after
// first_delay, doubling up to max_delay (each wait drawn between half and all of it, so that
// many entries do not come back at once), and after max_attempts the entry is `dead` with its
// last error, for an operator to replay.
// The defaults: a HIS back from an outage gets results again within a minute, and an entry
// gives up after about 16 hours of failed attempts (1,000 at most a minute apart).
struct RetryConfig {
  std::chrono::milliseconds first_delay{std::chrono::seconds(1)};
  std::chrono::milliseconds max_delay{std::chrono::minutes(1)};
  std::size_t max_attempts = 1000;
};

// Where a channel writes what its mapping made. Types:
//   his-db   the HIS staging database (`location`, default: the `his` location)
//   fhir     FHIR R4 transaction bundles, to `folder` (one file per message) and/or POSTed to
//            `url` (a FHIR base URL)
//   xml130   the health-insurance XML 4 (QĐ 130) files, one per treatment episode, to `folder`
//   mllp     the message forwarded as received to another system's MLLP listener (`host`,
//            `port`), which must acknowledge it
//   file     one file per message in `folder`: the message as received (`content` "raw") or
//            the records the mapping made, as JSON (`content` "records")
// A destination may have a `mapping` of its own (Mirth's destination transformer), run on the
// message instead of the channel's: the xml130 one makes `xml130_cls` rows.
// Every destination has a durable queue: `retry` says how failed deliveries are retried, and
// when more than `max_queue_depth` entries wait, ingest on the channel's source slows down.
struct DestinationConfig {
  std::string name;
  std::string type;
  std::string location;  // his-db
  std::string folder;    // fhir, xml130, file
  std::string url;       // fhir
  std::string host;      // mllp
  std::uint16_t port = 0;  // mllp
  std::string content = "raw";  // file: raw or records
  bool verify_tls = true;  // fhir: check the server's certificate against the system's CAs
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};  // fhir, mllp
  TlsConfig tls;  // mllp: connect over TLS (verify_tls says whether the server is checked)
  std::string mapping;
  RetryConfig retry;
  std::size_t max_queue_depth = 10'000;
};

struct ChannelConfig {
  std::string name;
  std::string source;  // a listener name
  FilterConfig filter;
  std::string mapping;  // mapping file; empty: messages are journalled and acknowledged only
  std::vector<DestinationConfig> destinations;
};

// One admin API token as the config keeps it: who holds it, what it may do, and the SHA-256
// of the token (the token itself is never stored; `hisbridge token` makes one).
struct AdminToken {
  std::string name;
  auth::Role role = auth::Role::viewer;
  auth::Digest sha256{};
};

struct AdminConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  // With tokens, every API request needs one (Authorization: Bearer); without, the API is
  // open, which check-config allows only on a loopback address.
  std::vector<AdminToken> tokens;
  // /metrics, /healthz and /readyz without a token, for Prometheus and load balancers.
  bool open_metrics = true;
  TlsConfig tls;  // HTTPS for the API and the dashboard
};

// The audit log file: every operator action (a message viewed with its patient data, replay,
// reprocess, config reload) as one JSON line, appended and flushed to disk before the action's
// answer; at max_size the file is renamed to FILE.1 (FILE.1 to FILE.2, ...) and `keep` such
// files are kept. The journal keeps the same rows (GET /api/v1/audit).
struct AuditConfig {
  std::string file = "var/audit.log";
  std::int64_t max_size_bytes = 10'000'000;
  std::size_t keep = 10;
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error
  // Names, ids and values from messages are masked in logs unless this is true.
  bool show_patient_data = false;
};

// The turnaround engine: which intervals it measures (stock-mapping.md), how far back a clock
// still running counts as overdue, and how many departments the turnaround metrics name.
struct TurnaroundConfig {
  // A configured list replaces these entirely.
  std::vector<timeline::IntervalDefinition> intervals = timeline::default_intervals();
  // Clocks started longer ago than this are not listed as overdue (an order cancelled outside
  // the HIS would stay overdue for ever).
  std::chrono::seconds overdue_lookback{std::chrono::hours(48)};
  // The turnaround metrics carry a department label for at most this many departments.
  std::size_t metric_departments = 20;
};

struct Config {
  std::filesystem::path file;  // where it was read from
  // How often mapping and lookup-table files are checked for changes (hot reload); 0: never.
  std::chrono::milliseconds mapping_reload_interval{std::chrono::seconds(2)};
  std::string timezone = "Asia/Ho_Chi_Minh";
  StoreConfig store;
  std::string his_location = "var/his.db";
  AdminConfig admin;
  AuditConfig audit;
  LogConfig log;
  std::vector<ListenerConfig> listeners;
  std::vector<ChannelConfig> channels;
  TurnaroundConfig turnaround;

  const ListenerConfig* listener(std::string_view name) const;
};

}  // namespace hisbridge::config
