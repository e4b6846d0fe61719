#include "engine/config/admin_reader.hpp"

#include <string>

#include "engine/config/tls_reader.hpp"

namespace hisbridge::config {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxNameBytes = 64;

}  // namespace

bool is_valid_token_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) {
    return false;
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '@';
    if (!ok) {
      return false;
    }
  }
  return true;
}

namespace {

void read_token(const json& j, const std::string& pointer, ErrorSink& sink, AdminToken& out) {
  ObjectReader r(j, pointer, sink, {"name", "role", "sha256"});
  if (!r.valid()) {
    return;
  }
  r.text("name", out.name, true);
  if (r.has("name") && !is_valid_token_name(out.name)) {
    sink.at_value(r.pointer("name"), "token name '" + out.name +
                                         "' must be 1 to 64 letters, digits, '-', '_', '.' or "
                                         "'@' (it names the holder in the audit log)");
  }
  std::string role = "viewer";
  r.text("role", role, true);
  if (auto parsed = auth::parse_role(role)) {
    out.role = *parsed;
  } else if (r.has("role")) {
    sink.at_value(r.pointer("role"), "role '" + role + "' is not one of viewer, operator");
  }
  std::string hex;
  r.text("sha256", hex, true);
  if (auto digest = auth::digest_from_hex(hex)) {
    out.sha256 = *digest;
  } else if (hex.starts_with(auth::kTokenPrefix)) {
    sink.at_value(r.pointer("sha256"),
                  "this is a token, not its digest: keep the token itself out of the config and "
                  "put the sha256 that `hisbridge token` printed beside it here");
  } else if (r.has("sha256")) {
    sink.at_value(r.pointer("sha256"),
                  "'sha256' must be 64 hexadecimal digits (the digest `hisbridge token` prints)");
  }
}

void read_tokens(const json& list, ErrorSink& sink, std::vector<AdminToken>& out) {
  if (!list.is_array()) {
    sink.at_value("/admin/tokens", "'tokens' must be a list of {name, role, sha256}");
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string pointer = "/admin/tokens/" + std::to_string(i);
    AdminToken token;
    read_token(list[i], pointer, sink, token);
    for (const AdminToken& earlier : out) {
      if (!token.name.empty() && earlier.name == token.name) {
        sink.at_value(pointer + "/name", "token name '" + token.name + "' is used twice");
      }
      if (auth::same_digest(earlier.sha256, token.sha256) && token.sha256 != auth::Digest{}) {
        sink.at_value(pointer + "/sha256", "the same token is listed twice");
      }
    }
    out.push_back(std::move(token));
  }
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

void read_admin(const json& j, ErrorSink& sink, AdminConfig& out) {
  ObjectReader r(j, "/admin", sink, {"host", "port", "tokens", "open_metrics", "tls"});
  if (!r.valid()) {
    return;
  }
  r.text("host", out.host);
  r.port("port", out.port);
  r.flag("open_metrics", out.open_metrics);
  if (const json* tls = r.member("tls")) {
    read_tls(*tls, r.pointer("tls"), TlsSide::server, sink, out.tls);
  }
  if (const json* tokens = r.member("tokens")) {
    read_tokens(*tokens, sink, out.tokens);
  }
  if (out.tokens.empty() && !is_loopback_host(out.host)) {
    sink.at_value(r.pointer("host"),
                  "the admin server on '" + out.host +
                      "' can be reached from the network, where it must not be open: add "
                      "admin.tokens (`hisbridge token --name NAME --role viewer|operator` makes "
                      "one) or bind it to 127.0.0.1");
  }
}

}  // namespace hisbridge::config
