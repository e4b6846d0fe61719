#pragma once

#include <string_view>

#include "adapters/http/http_server.hpp"

namespace hisbridge::admin {

// The web dashboard on the admin server (docs/operator-guide.md, Dashboard):
//   GET /dashboard           302 to dashboard/ (relative, so a reverse proxy's prefix is kept),
//                            with the query kept
//   GET /dashboard/          the page (index.html)
//   GET /dashboard/NAME      an embedded file (dashboard_assets.hpp) with its Content-Type
// The page reads the admin API's JSON from the same origin. Every file is sent with
// `Cache-Control: no-cache` and its ETag (a matching If-None-Match gets 304), so a browser
// revalidates and a new binary's page is never mixed with an old one's scripts; and with a
// Content-Security-Policy that allows nothing but the server itself: no inline script, no
// other origin, no framing. Other methods get 405, unknown files 404 (JSON, as the API).

// True for /dashboard and every path under /dashboard/.
bool is_dashboard_path(std::string_view path);

// The answer to a request whose path is_dashboard_path(). Works from memory only, so it may
// run on the connection's strand.
http::HttpResponse dashboard_response(const http::HttpRequest& request);

}  // namespace hisbridge::admin
