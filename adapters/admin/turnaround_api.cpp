#include "adapters/admin/turnaround_api.hpp"

#include <algorithm>

#include "adapters/admin/query.hpp"
#include "adapters/admin/responses.hpp"
#include "adapters/admin/turnaround_json.hpp"
#include "adapters/admin/turnaround_query.hpp"
#include "engine/timeline/statistics.hpp"

namespace hisbridge::admin {
namespace {

constexpr std::string_view kStatisticsPath = "/api/v1/turnaround";
constexpr std::string_view kDistributionPath = "/api/v1/turnaround/distribution";
constexpr std::string_view kIntervalsPath = "/api/v1/turnaround/intervals";
constexpr std::string_view kOverduePath = "/api/v1/overdue";

std::int64_t system_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

http::HttpResponse timeline_failed(std::string_view what, const boost::system::error_code& ec) {
  return error_response(500, "timeline " + std::string(what) + " failed: " + ec.message());
}

http::HttpResponse api_error(const ApiError& e) { return error_response(e.status, e.message); }

// The request's query, or the 400 for a malformed escape.
Result<QueryParams, http::HttpResponse> params_of(const http::HttpRequest& request) {
  auto params = parse_query(request.target);
  if (!params) {
    return error_response(400, "malformed %-escape in the query");
  }
  return std::move(*params);
}

}  // namespace

TurnaroundApi::TurnaroundApi(std::shared_ptr<SharedTimeline> timeline, mapping::TimeZone zone,
                             std::chrono::seconds overdue_lookback, Clock now)
    : timeline_(std::move(timeline)),
      zone_(std::move(zone)),
      overdue_lookback_(overdue_lookback),
      now_(now ? std::move(now) : Clock(system_now_us)) {}

bool TurnaroundApi::serves(std::string_view path) {
  return path == kStatisticsPath || path == kDistributionPath || path == kIntervalsPath ||
         path == kOverduePath;
}

http::HttpResponse TurnaroundApi::handle(std::string_view path,
                                         const http::HttpRequest& request) const {
  if (!timeline_) {
    return error_response(503, "the turnaround timeline is not running (see the engine's log)");
  }
  if (path == kStatisticsPath) {
    return statistics(request);
  }
  if (path == kDistributionPath) {
    return distribution(request);
  }
  if (path == kIntervalsPath) {
    return intervals();
  }
  if (path == kOverduePath) {
    return overdue(request);
  }
  return error_response(404, "no such path: " + std::string(path));
}

http::HttpResponse TurnaroundApi::statistics(const http::HttpRequest& request) const {
  auto params = params_of(request);
  if (!params) {
    return params.error();
  }
  auto parsed = parse_turnaround_request(*params, TurnaroundEndpoint::statistics,
                                         timeline_->definitions(), zone_, now_());
  if (!parsed) {
    return api_error(parsed.error());
  }
  auto rows = timeline_->with([&](timeline::TimelineStore& t) { return t.intervals(parsed->query); });
  if (!rows) {
    return timeline_failed("query", rows.error());
  }
  const auto groups = timeline::summarize(*rows, *parsed->definition, parsed->group_by);
  return json_response(200, statistics_json(*parsed, groups, zone_));
}

http::HttpResponse TurnaroundApi::distribution(const http::HttpRequest& request) const {
  auto params = params_of(request);
  if (!params) {
    return params.error();
  }
  auto parsed = parse_turnaround_request(*params, TurnaroundEndpoint::distribution,
                                         timeline_->definitions(), zone_, now_());
  if (!parsed) {
    return api_error(parsed.error());
  }
  auto rows = timeline_->with([&](timeline::TimelineStore& t) { return t.intervals(parsed->query); });
  if (!rows) {
    return timeline_failed("query", rows.error());
  }
  return json_response(200, distribution_json(*parsed, *rows, zone_));
}

http::HttpResponse TurnaroundApi::intervals() const {
  return json_response(200, intervals_json(timeline_->definitions()));
}

http::HttpResponse TurnaroundApi::overdue(const http::HttpRequest& request) const {
  auto params = params_of(request);
  if (!params) {
    return params.error();
  }
  auto parsed = parse_overdue_request(*params, timeline_->definitions());
  if (!parsed) {
    return api_error(parsed.error());
  }
  timeline::OverdueQuery query;
  // Whole milliseconds, as `now` is written: every age is then exactly now minus started_at.
  query.now_us = now_() / 1000 * 1000;
  query.lookback_us = std::chrono::duration_cast<std::chrono::microseconds>(overdue_lookback_).count();
  // One interval's items are picked out of every interval's: ask for as many as are allowed.
  query.limit = parsed->definition != nullptr ? kMaxOverdueLimit : parsed->limit;
  auto items = timeline_->with([&](timeline::TimelineStore& t) { return t.overdue(query); });
  if (!items) {
    return timeline_failed("query", items.error());
  }
  if (parsed->definition != nullptr) {
    const std::string& name = parsed->definition->name;
    std::erase_if(*items, [&](const timeline::OverdueItem& i) { return i.interval != name; });
    if (items->size() > parsed->limit) {
      items->resize(parsed->limit);
    }
  }
  return json_response(200, overdue_json(query.now_us, *items, zone_));
}

}  // namespace hisbridge::admin
