#include "adapters/admin/access_control.hpp"

#include "adapters/admin/responses.hpp"
#include "engine/auth/token.hpp"

namespace hisbridge::admin {
namespace {

constexpr std::size_t kMaxActorBytes = 100;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

// The credentials of "Bearer TOKEN" (the scheme in any case, RFC 9110 §11.1); empty otherwise.
std::string_view bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() + 1 ||
      !iequals(authorization.substr(0, kScheme.size()), kScheme) ||
      authorization[kScheme.size()] != ' ') {
    return {};
  }
  std::string_view token = authorization.substr(kScheme.size() + 1);
  while (!token.empty() && token.front() == ' ') {
    token.remove_prefix(1);
  }
  while (!token.empty() && token.back() == ' ') {
    token.remove_suffix(1);
  }
  return token;
}

http::HttpResponse unauthorized(std::string message) {
  http::HttpResponse r = error_response(401, message);
  r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"hisbridge\""});
  return r;
}

}  // namespace

std::optional<auth::Role> needed_role(std::string_view path, bool open_metrics) {
  if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
    return open_metrics ? std::nullopt : std::optional(auth::Role::viewer);
  }
  if (path == "/api/v1/audit" || path == "/api/v1/replay" ||
      (path.starts_with("/api/v1/messages/") && path.ends_with("/reprocess"))) {
    return auth::Role::operator_;
  }
  return auth::Role::viewer;
}

AccessControl::AccessControl(const config::AdminConfig& admin)
    : tokens_(admin.tokens), open_metrics_(admin.open_metrics) {}

const config::AdminToken* AccessControl::token_of(const http::HttpRequest& request) const {
  const std::string_view token = bearer_token(request.header("Authorization"));
  if (token.empty()) {
    return nullptr;
  }
  const auth::Digest presented = auth::digest(token);
  const config::AdminToken* found = nullptr;
  // Every token is compared, so the time taken does not tell which one nearly matched.
  for (const config::AdminToken& t : tokens_) {
    if (auth::same_digest(t.sha256, presented) && found == nullptr) {
      found = &t;
    }
  }
  return found;
}

std::variant<Caller, http::HttpResponse> AccessControl::admit(const http::HttpRequest& request,
                                                              std::string_view path) const {
  if (open()) {
    return Caller{auth::Role::operator_, open_api_actor(request)};
  }
  const std::optional<auth::Role> needed = needed_role(path, open_metrics_);
  const config::AdminToken* token = token_of(request);
  if (token == nullptr) {
    if (!needed) {
      return Caller{auth::Role::viewer, request.peer};
    }
    const bool presented = !request.header("Authorization").empty();
    return unauthorized(presented ? "the token is not one of this engine's admin tokens"
                                  : "this path needs an admin token: Authorization: Bearer "
                                    "TOKEN (`hisbridge token` makes one)");
  }
  if (needed && !auth::allows(token->role, *needed)) {
    return error_response(403, "token '" + token->name + "' has the " +
                                   std::string(auth::to_string(token->role)) +
                                   " role; this needs the " +
                                   std::string(auth::to_string(*needed)) + " role");
  }
  return Caller{token->role, token->name + " (" + request.peer + ")"};
}

std::string open_api_actor(const http::HttpRequest& request) {
  std::string named;
  for (const char c : request.header("X-Hisbridge-Actor")) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f && named.size() < kMaxActorBytes) {
      named += c;
    }
  }
  return named.empty() ? request.peer : named + " (" + request.peer + ")";
}

}  // namespace hisbridge::admin
