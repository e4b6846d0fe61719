// The dashboard's files as the admin server answers them: the embedded assets (the page's own
// files and uPlot from npm), their headers, the redirect, revalidation and the errors.
#include "adapters/admin/dashboard_http.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "adapters/admin/dashboard_assets.hpp"

namespace hisbridge::admin {
namespace {

http::HttpRequest get(std::string target, std::string method = "GET") {
  http::HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  return r;
}

std::string header(const http::HttpResponse& r, std::string_view name) {
  for (const http::HttpHeader& h : r.headers) {
    if (h.name == name) {
      return h.value;
    }
  }
  return {};
}

std::string source_file(const std::string& name) {
  // The fixtures are in tests/fixtures of the repository.
  std::ifstream in(std::string(HISBRIDGE_FIXTURES_DIR) + "/../../adapters/admin/dashboard/" + name,
                   std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(DashboardAssetsTest, EmbedsThePageAndTheChartingLibraryWithTheirTypes) {
  const DashboardAsset* index = find_dashboard_asset("index.html");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index->body, source_file("index.html"));  // byte for byte
  const DashboardAsset* uplot = find_dashboard_asset("uPlot.iife.min.js");
  ASSERT_NE(uplot, nullptr);
  EXPECT_EQ(uplot->content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(uplot->body.find("uPlot"), std::string_view::npos);
  ASSERT_NE(find_dashboard_asset("uPlot.min.css"), nullptr);
  EXPECT_EQ(find_dashboard_asset("style.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(find_dashboard_asset("favicon.svg")->content_type, "image/svg+xml");
  EXPECT_EQ(find_dashboard_asset("nothing.js"), nullptr);
  EXPECT_EQ(find_dashboard_asset(""), nullptr);
}

TEST(DashboardAssetsTest, EveryFileTheScriptsImportIsEmbedded) {
  for (const char* name : {"app.js", "api.js", "charts.js", "format.js", "i18n.js", "rates.js",
                           "signin.js", "tables.js", "turnaround.js", "view.js"}) {
    const DashboardAsset* asset = find_dashboard_asset(name);
    ASSERT_NE(asset, nullptr) << name;
    EXPECT_EQ(asset->body, source_file(name)) << name;
  }
}

TEST(DashboardAssetsTest, EntityTagsAreQuotedAndDifferByContent) {
  for (const DashboardAsset& a : dashboard_assets()) {
    ASSERT_GE(a.etag.size(), 3u) << a.name;
    EXPECT_EQ(a.etag.front(), '"') << a.name;
    EXPECT_EQ(a.etag.back(), '"') << a.name;
  }
  EXPECT_NE(find_dashboard_asset("app.js")->etag, find_dashboard_asset("index.html")->etag);
}

TEST(DashboardHttpTest, KnowsItsPaths) {
  EXPECT_TRUE(is_dashboard_path("/dashboard"));
  EXPECT_TRUE(is_dashboard_path("/dashboard/"));
  EXPECT_TRUE(is_dashboard_path("/dashboard/app.js"));
  EXPECT_FALSE(is_dashboard_path("/dashboards"));
  EXPECT_FALSE(is_dashboard_path("/api/v1/dashboard"));
  EXPECT_FALSE(is_dashboard_path("/"));
}

TEST(DashboardHttpTest, RedirectsToTheFolderKeepingTheQuery) {
  const http::HttpResponse r = dashboard_response(get("/dashboard?lang=en"));
  EXPECT_EQ(r.status, 302u);
  EXPECT_EQ(header(r, "Location"), "dashboard/?lang=en");
  EXPECT_EQ(header(dashboard_response(get("/dashboard")), "Location"), "dashboard/");
}

TEST(DashboardHttpTest, ServesThePageWithAStrictPolicy) {
  const http::HttpResponse r = dashboard_response(get("/dashboard/?lang=vi"));
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, find_dashboard_asset("index.html")->body);
  EXPECT_EQ(header(r, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(r, "ETag"), find_dashboard_asset("index.html")->etag);
  const std::string csp = header(r, "Content-Security-Policy");
  EXPECT_EQ(csp.rfind("default-src 'self';", 0), 0u) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
  EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
}

TEST(DashboardHttpTest, ServesAnAssetWithItsContentType) {
  const http::HttpResponse r = dashboard_response(get("/dashboard/uPlot.min.css"));
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(header(r, "Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(r.body, find_dashboard_asset("uPlot.min.css")->body);
}

TEST(DashboardHttpTest, AnswersAMatchingEntityTagWith304) {
  const DashboardAsset* app = find_dashboard_asset("app.js");
  http::HttpRequest request = get("/dashboard/app.js");
  request.headers.push_back({"If-None-Match", "\"other\", W/" + std::string(app->etag)});
  const http::HttpResponse r = dashboard_response(request);
  EXPECT_EQ(r.status, 304u);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(header(r, "ETag"), app->etag);

  request.headers = {{"If-None-Match", "\"0000\""}};
  EXPECT_EQ(dashboard_response(request).status, 200u);
}

TEST(DashboardHttpTest, UnknownFilesAndOtherMethodsAreJsonErrors) {
  const http::HttpResponse missing = dashboard_response(get("/dashboard/secret.txt"));
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(header(missing, "Content-Type"), "application/json");
  EXPECT_NE(missing.body.find("secret.txt"), std::string::npos);
  EXPECT_EQ(dashboard_response(get("/dashboard/../admin_handler.cpp")).status, 404u);
  EXPECT_EQ(dashboard_response(get("/dashboard/sub/app.js")).status, 404u);

  const http::HttpResponse post = dashboard_response(get("/dashboard/", "POST"));
  EXPECT_EQ(post.status, 405u);
  EXPECT_EQ(header(post, "Allow"), "GET");
}

}  // namespace
}  // namespace hisbridge::admin
