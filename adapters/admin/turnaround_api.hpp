#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "adapters/admin/shared_timeline.hpp"
#include "adapters/http/http_server.hpp"
#include "engine/mapping/time_zone.hpp"

namespace hisbridge::admin {

// The turnaround part of the admin API (docs/metrics.md; shapes in turnaround_json.hpp,
// parameters in turnaround_query.hpp):
//   GET /api/v1/turnaround                 statistics of one interval over a window, grouped
//   GET /api/v1/turnaround/distribution    counts per duration bucket
//   GET /api/v1/turnaround/intervals       the configured intervals and their targets
//   GET /api/v1/overdue                    running clocks past their target, oldest first
// Errors as the rest of the API: 400 a bad parameter (named), 404 an unknown interval (listing
// the known ones), 500 the timeline failed, 503 no timeline is running.
//
// handle() blocks on the timeline: AdminHandler calls it on its own thread.
class TurnaroundApi {
 public:
  // Microseconds since the Unix epoch; the system clock unless a test gives its own.
  using Clock = std::function<std::int64_t()>;

  // `timeline` may be null (the timeline could not be opened): every path answers 503.
  // Clocks started longer than `overdue_lookback` ago are not listed as overdue.
  TurnaroundApi(std::shared_ptr<SharedTimeline> timeline, mapping::TimeZone zone,
                std::chrono::seconds overdue_lookback, Clock now = {});

  // Whether `path` is one of the paths above.
  static bool serves(std::string_view path);
  http::HttpResponse handle(std::string_view path, const http::HttpRequest& request) const;

 private:
  http::HttpResponse statistics(const http::HttpRequest& request) const;
  http::HttpResponse distribution(const http::HttpRequest& request) const;
  http::HttpResponse intervals() const;
  http::HttpResponse overdue(const http::HttpRequest& request) const;

  std::shared_ptr<SharedTimeline> timeline_;
  mapping::TimeZone zone_;
  std::chrono::seconds overdue_lookback_;
  Clock now_;
};

}  // namespace hisbridge::admin
