#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/admin/shared_store.hpp"
#include "adapters/http/http_server.hpp"
#include "engine/audit/audit_trail.hpp"
#include "engine/config/config.hpp"
#include "engine/mapping/time_zone.hpp"

namespace hisbridge::admin {

// The replay paths of the admin API (engine/replay/replay.hpp says what a replay does;
// docs/operator-guide.md, "Replay"):
//   POST /api/v1/messages/{id}/reprocess   one message back through processing:
//        202 {"message_id", "status": "received", "previous_status"}; 404 unknown id; 409 a
//        rejected or duplicate message, {"error": why, "status"}
//   POST /api/v1/replay   body {"channel", "from", "to"}: the channel's source over [from, to)
//        (ISO 8601, iso_time.hpp), 202 {"action", "channel", "source", "from", "to",
//        "messages"}; or {"dead_letters": "<channel>/<destination>"}: 202 {"action", "queue",
//        "entries"}. 400 names what is wrong with the body (unknown channel or queue, bad time).
//   GET  /api/v1/audit?limit=1..500 (default 50)   {"entries": [{"id", "at", "actor",
//        "action", "detail"}], "count"}, newest first
// Every replay request that gets past the checks writes one audit entry, to the journal and
// the audit file (`audit`), whose actor is the caller (AccessControl's Caller::actor, "alice
// (10.1.2.3:5123)") and whose "from" is the peer address. A journal failure is 500; a replay
// that failed part-way says how many it had done; a replay whose entry could not be written to
// both is done but answered 500, naming what failed.
//
// Runs on the admin handler's thread, on the admin side's journal connection: a range is
// walked in steps (replay::kStep), so a large one takes a while but never holds the journal's
// write lock long. `rewind` (may be empty) tells the router a source has messages to take again.
class ReplayApi {
 public:
  using Rewind = std::function<void(const std::string& source)>;

  // `audit` is where the replays are recorded (the same journal as `store`, and the file).
  ReplayApi(const config::Config* config, std::shared_ptr<SharedStore> store,
            std::shared_ptr<audit::AuditTrail> audit, const mapping::TimeZone& zone,
            Rewind rewind);

  // The method `path` takes ("POST" or "GET"), or empty when it is not one of these paths.
  static std::string_view method_of(std::string_view path);

  // `actor` names the caller in the audit entries (AccessControl's Caller::actor); the
  // request's peer address is their "from".
  http::HttpResponse handle(std::string_view path, const http::HttpRequest& request,
                            const std::string& actor) const;

 private:
  // `who` holds the audit entry's actor and from; each replay adds the action and detail.
  http::HttpResponse reprocess(std::string_view id_text, audit::Entry who) const;
  http::HttpResponse replay(const http::HttpRequest& request, audit::Entry who) const;
  http::HttpResponse replay_range(const std::string& channel, const std::string& from,
                                  const std::string& to, audit::Entry who) const;
  http::HttpResponse replay_dead_letters(const std::string& queue, audit::Entry who) const;
  http::HttpResponse audit(const http::HttpRequest& request) const;

  const config::Config* config_;
  std::shared_ptr<SharedStore> store_;
  std::shared_ptr<audit::AuditTrail> audit_;
  const mapping::TimeZone& zone_;
  Rewind rewind_;
};

}  // namespace hisbridge::admin
