#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adapters/http/http_server.hpp"
#include "engine/auth/role.hpp"
#include "engine/config/config.hpp"

namespace hisbridge::admin {

// Who made an admin request, as far as the API is concerned.
struct Caller {
  auth::Role role = auth::Role::operator_;
  // How the audit log names the caller: the token's name and the peer address ("it-team
  // (10.1.2.3:51234)"); on an open API, the X-Hisbridge-Actor header and the peer, or the peer.
  std::string actor;
};

// What a request on `path` needs: nullopt when anyone may make it. /healthz, /readyz and
// /metrics are open when `open_metrics`, else need a viewer; the audit log, replay and
// reprocess need an operator; every other API path a viewer. (The dashboard's own files hold
// no data and are served before this is asked.)
std::optional<auth::Role> needed_role(std::string_view path, bool open_metrics);

// The admin API's gate (docs/operator-guide.md, Access control). Without tokens in the config
// the API is open (check-config allows that on a loopback address only) and every caller is
// an operator. With tokens, a request that needs a role must carry `Authorization: Bearer
// TOKEN` for a token of the config: without one it gets 401 (with WWW-Authenticate), with a
// role that may not do it 403.
class AccessControl {
 public:
  explicit AccessControl(const config::AdminConfig& admin);

  bool open() const { return tokens_.empty(); }
  // The caller, or the refusal to send instead of an answer.
  std::variant<Caller, http::HttpResponse> admit(const http::HttpRequest& request,
                                                 std::string_view path) const;

 private:
  // The token the request's Authorization header names; null when it names none of ours.
  const config::AdminToken* token_of(const http::HttpRequest& request) const;

  std::vector<config::AdminToken> tokens_;
  bool open_metrics_ = true;
};

// The actor of a request on an open API: its X-Hisbridge-Actor header (printable characters,
// at most 100) with the peer address, or the peer address alone.
std::string open_api_actor(const http::HttpRequest& request);

}  // namespace hisbridge::admin
