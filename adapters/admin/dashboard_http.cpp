#include "adapters/admin/dashboard_http.hpp"

#include <string>

#include "adapters/admin/dashboard_assets.hpp"
#include "adapters/admin/responses.hpp"

namespace hisbridge::admin {
namespace {

constexpr std::string_view kRoot = "/dashboard";

// Everything from the admin server itself and nothing else: the page has no inline script or
// style, loads no font or script from the internet, and is not to be framed by another site.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
    "object-src 'none'";

void add_security_headers(http::HttpResponse& r) {
  r.headers.push_back({"Content-Security-Policy", std::string(kContentSecurityPolicy)});
  r.headers.push_back({"X-Content-Type-Options", "nosniff"});
  r.headers.push_back({"X-Frame-Options", "DENY"});
  r.headers.push_back({"Referrer-Policy", "no-referrer"});
}

// RFC 9110 §13.1.2: If-None-Match is "*" or a list of entity tags, compared weakly, so
// W/"tag" matches "tag" too. Our tags are quoted hex digests: a substring search finds them.
bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  return if_none_match.find('*') != std::string_view::npos ||
         if_none_match.find(etag) != std::string_view::npos;
}

http::HttpResponse asset_response(const DashboardAsset& asset, const http::HttpRequest& request) {
  http::HttpResponse r;
  r.headers.push_back({"ETag", std::string(asset.etag)});
  r.headers.push_back({"Cache-Control", "no-cache"});
  add_security_headers(r);
  const std::string_view if_none_match = request.header("If-None-Match");
  if (!if_none_match.empty() && etag_matches(if_none_match, asset.etag)) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.headers.push_back({"Content-Type", std::string(asset.content_type)});
  r.body = std::string(asset.body);
  return r;
}

}  // namespace

bool is_dashboard_path(std::string_view path) {
  return path == kRoot || (path.starts_with(kRoot) && path.substr(kRoot.size()).starts_with('/'));
}

http::HttpResponse dashboard_response(const http::HttpRequest& request) {
  if (request.method != "GET") {
    http::HttpResponse r =
        error_response(405, "method " + request.method + " not allowed; use GET");
    r.headers.push_back({"Allow", "GET"});
    return r;
  }
  const std::string_view path = request.path();
  if (path == kRoot) {
    // Relative, so the page's own relative links resolve under a proxy's prefix too.
    const std::string_view target = request.target;
    const std::size_t query = target.find('?');
    http::HttpResponse r = text_response(302, "text/plain; charset=utf-8", "see dashboard/\n");
    r.headers.push_back({"Location", "dashboard/" + std::string(query == std::string_view::npos
                                                                     ? std::string_view()
                                                                     : target.substr(query))});
    return r;
  }
  std::string_view name = path.substr(kRoot.size() + 1);
  if (name.empty()) {
    name = "index.html";
  }
  const DashboardAsset* asset = find_dashboard_asset(name);
  if (asset == nullptr) {
    return error_response(404, "no such dashboard file: " + std::string(name));
  }
  return asset_response(*asset, request);
}

}  // namespace hisbridge::admin
