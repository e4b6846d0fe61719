#include "adapters/admin/turnaround_query.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "adapters/admin/iso_time.hpp"

namespace hisbridge::admin {
namespace {

std::optional<std::int64_t> whole_number(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

ApiError bad(std::string message) { return {400, std::move(message)}; }

std::string known_intervals(std::span<const timeline::IntervalDefinition> definitions) {
  std::string out;
  for (const auto& d : definitions) {
    out += (out.empty() ? "" : ", ") + d.name;
  }
  return out.empty() ? "none configured" : out;
}

// The definition named `name`, or the 404 (400 when the parameter is missing) naming the known
// ones.
Result<const timeline::IntervalDefinition*, ApiError> find_interval(
    const std::optional<std::string>& name,
    std::span<const timeline::IntervalDefinition> definitions) {
  if (!name) {
    return bad("parameter 'interval' is required (known: " + known_intervals(definitions) + ")");
  }
  const auto it = std::find_if(definitions.begin(), definitions.end(),
                               [&](const auto& d) { return d.name == *name; });
  if (it == definitions.end()) {
    return ApiError{404, "no such interval '" + *name +
                             "' (known: " + known_intervals(definitions) + ")"};
  }
  return &*it;
}

// `department,priority` as dimensions, each at most once.
Result<std::vector<timeline::Dimension>, ApiError> parse_group_by(const std::string& value) {
  std::vector<timeline::Dimension> out;
  std::size_t at = 0;
  while (!value.empty() && at <= value.size()) {
    const std::size_t comma = std::min(value.find(',', at), value.size());
    const std::string name = value.substr(at, comma - at);
    const auto dimension = timeline::dimension_from_string(name);
    if (!dimension) {
      return bad("parameter 'group_by': '" + name +
                 "' is not one of department, service_code, modality, priority");
    }
    if (std::find(out.begin(), out.end(), *dimension) != out.end()) {
      return bad("parameter 'group_by': '" + name + "' is given twice");
    }
    out.push_back(*dimension);
    at = comma + 1;
  }
  return out;
}

// The parameters a statistics or distribution request reads, before they are checked together.
struct Raw {
  std::optional<std::string> interval;
  std::optional<std::int64_t> from_us;
  std::optional<std::int64_t> to_us;
};

// One parameter into `raw` or `request`; the error when it does not read.
std::optional<ApiError> apply(const std::string& name, const std::string& value,
                              TurnaroundEndpoint endpoint, const mapping::TimeZone& zone,
                              Raw& raw, TurnaroundRequest& request) {
  if (name == "interval") {
    raw.interval = value;
  } else if (name == "from" || name == "to") {
    const auto at = parse_iso(value, zone);
    if (!at) {
      return bad("parameter '" + name + "': '" + value +
                 "' is not an ISO 8601 date or time (2026-03-05, 2026-03-05T08:15:00+07:00)");
    }
    (name == "from" ? raw.from_us : raw.to_us) = *at;
  } else if (name == "group_by" && endpoint == TurnaroundEndpoint::statistics) {
    auto group_by = parse_group_by(value);
    if (!group_by) {
      return group_by.error();
    }
    request.group_by = std::move(*group_by);
  } else if (name == "bucket_s" && endpoint == TurnaroundEndpoint::distribution) {
    const auto n = whole_number(value);
    if (!n || *n < 1 || *n > kMaxBucketSeconds) {
      return bad("parameter 'bucket_s': '" + value + "' is not a number of seconds from 1 to " +
                 std::to_string(kMaxBucketSeconds));
    }
    request.bucket_s = *n;
  } else if (const auto dimension = timeline::dimension_from_string(name)) {
    request.query.filters.emplace_back(*dimension, value);
  } else {
    return bad("unknown parameter '" + name + "' (known: interval, from, to, " +
               (endpoint == TurnaroundEndpoint::statistics ? "group_by" : "bucket_s") +
               ", department, priority, service_code, modality)");
  }
  return std::nullopt;
}

}  // namespace

std::int64_t start_of_day_us(std::int64_t now_us, const mapping::TimeZone& zone) {
  // The date as the zone writes it, read back as that date's midnight in the zone: the same
  // rules as every other time the API reads (a day that starts at 01:00 after a transition
  // starts there).
  const std::string day = format_iso(now_us, zone).substr(0, 10);
  return parse_iso(day, zone).value_or(now_us);
}

Result<TurnaroundRequest, ApiError> parse_turnaround_request(
    const QueryParams& params, TurnaroundEndpoint endpoint,
    std::span<const timeline::IntervalDefinition> definitions, const mapping::TimeZone& zone,
    std::int64_t now_us) {
  TurnaroundRequest request;
  Raw raw;
  for (const auto& [name, value] : params) {
    if (auto error = apply(name, value, endpoint, zone, raw, request)) {
      return *error;
    }
  }
  auto definition = find_interval(raw.interval, definitions);
  if (!definition) {
    return definition.error();
  }
  request.definition = *definition;
  request.query.interval = request.definition->name;
  request.query.to_us = raw.to_us.value_or(now_us);
  request.query.from_us = raw.from_us.value_or(start_of_day_us(now_us, zone));
  if (request.query.from_us > request.query.to_us) {
    return bad(raw.to_us ? "parameter 'to': must not be earlier than 'from'"
                         : "parameter 'from': later than now (give 'to' as well)");
  }
  return request;
}

Result<OverdueRequest, ApiError> parse_overdue_request(
    const QueryParams& params, std::span<const timeline::IntervalDefinition> definitions) {
  OverdueRequest request;
  for (const auto& [name, value] : params) {
    if (name == "interval") {
      auto definition = find_interval(value, definitions);
      if (!definition) {
        return definition.error();
      }
      request.definition = *definition;
    } else if (name == "limit") {
      const auto n = whole_number(value);
      if (!n || *n < 1 || *n > static_cast<std::int64_t>(kMaxOverdueLimit)) {
        return bad("parameter 'limit': '" + value + "' is not a number from 1 to " +
                   std::to_string(kMaxOverdueLimit));
      }
      request.limit = static_cast<std::size_t>(*n);
    } else {
      return bad("unknown parameter '" + name + "' (known: interval, limit)");
    }
  }
  return request;
}

}  // namespace hisbridge::admin
