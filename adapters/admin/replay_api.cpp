#include "adapters/admin/replay_api.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "adapters/admin/iso_time.hpp"
#include "adapters/admin/query.hpp"
#include "adapters/admin/responses.hpp"
#include "engine/replay/replay.hpp"
#include "engine/replay/selection.hpp"

namespace hisbridge::admin {
namespace {

using nlohmann::ordered_json;

constexpr std::string_view kMessagesPrefix = "/api/v1/messages/";
constexpr std::string_view kReprocessSuffix = "/reprocess";
constexpr std::string_view kReplayPath = "/api/v1/replay";
constexpr std::string_view kAuditPath = "/api/v1/audit";
constexpr std::size_t kDefaultAuditLimit = 50;
constexpr std::size_t kMaxAuditLimit = 500;

std::optional<std::int64_t> positive_number(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1) {
    return std::nullopt;
  }
  return value;
}

// The replay's answer, or a 500 when it failed part-way or its audit entry was not written:
// the work done stays done, so the answer says how much there was.
http::HttpResponse answer(ordered_json body, const replay::Outcome& outcome,
                          const Result<void, std::string>& audited, std::string_view counted) {
  if (outcome.error) {
    body["error"] = "the replay failed after " + std::to_string(outcome.changed) + " " +
                    std::string(counted) + ": " + outcome.error.message();
    return json_response(500, body);
  }
  if (!audited) {
    body["error"] =
        "the replay is done, but its audit entry could not be written: " + audited.error();
    return json_response(500, body);
  }
  return json_response(202, body);
}

}  // namespace

ReplayApi::ReplayApi(const config::Config* config, std::shared_ptr<SharedStore> store,
                     std::shared_ptr<audit::AuditTrail> audit, const mapping::TimeZone& zone,
                     Rewind rewind)
    : config_(config),
      store_(std::move(store)),
      audit_(std::move(audit)),
      zone_(zone),
      rewind_(std::move(rewind)) {}

std::string_view ReplayApi::method_of(std::string_view path) {
  if (path == kReplayPath) {
    return "POST";
  }
  if (path == kAuditPath) {
    return "GET";
  }
  if (path.starts_with(kMessagesPrefix) && path.ends_with(kReprocessSuffix) &&
      path.size() > kMessagesPrefix.size() + kReprocessSuffix.size()) {
    return "POST";
  }
  return {};
}

http::HttpResponse ReplayApi::handle(std::string_view path, const http::HttpRequest& request,
                                     const std::string& actor) const {
  if (path == kAuditPath) {
    return audit(request);
  }
  audit::Entry who{actor, request.peer, {}, {}};
  if (path == kReplayPath) {
    return replay(request, std::move(who));
  }
  path.remove_prefix(kMessagesPrefix.size());
  path.remove_suffix(kReprocessSuffix.size());
  return reprocess(path, std::move(who));
}

http::HttpResponse ReplayApi::reprocess(std::string_view id_text, audit::Entry who) const {
  const auto id = positive_number(id_text);
  if (!id) {
    return error_response(404, "no such message: " + std::string(id_text));
  }
  replay::MessagesOutcome outcome;
  store_->with([&](store::Store& s) { outcome = replay::reprocess_messages(s, {&*id, 1}); });
  who.action = replay::kReprocessMessages;
  who.detail = replay::describe(outcome, "api");
  const auto audited = replay::write_audit(*audit_, std::move(who), outcome);
  if (outcome.error) {
    return error_response(500, "journal reprocess failed: " + outcome.error.message());
  }
  const replay::MessageResult& m = outcome.messages.front();
  if (m.verdict == replay::Verdict::not_found) {
    return error_response(404, "no such message: " + std::to_string(*id));
  }
  ordered_json body{{"message_id", *id}, {"status", std::string(store::to_string(m.status))}};
  if (m.verdict == replay::Verdict::refused) {
    body["error"] = m.reason;
    return json_response(409, body);
  }
  if (m.verdict == replay::Verdict::sent_back && rewind_) {
    rewind_(m.source);
  }
  body["previous_status"] = body["status"];
  body["status"] = std::string(store::to_string(store::MessageStatus::received));
  return answer(std::move(body), outcome, audited, "messages");
}

http::HttpResponse ReplayApi::replay(const http::HttpRequest& request, audit::Entry who) const {
  const auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return error_response(400,
                          "the body must be a JSON object: {\"channel\", \"from\", \"to\"} "
                          "or {\"dead_letters\": \"CHANNEL/DESTINATION\"}");
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "channel" && key != "from" && key != "to" && key != "dead_letters") {
      return error_response(400,
                            "unknown key '" + key + "' (known: channel, from, to, dead_letters)");
    }
    if (!value.is_string()) {
      return error_response(400, "'" + key + "' must be a string");
    }
  }
  if (body.contains("dead_letters")) {
    if (body.size() != 1) {
      return error_response(400,
                            "'dead_letters' goes alone: a destination's dead letters are "
                            "replayed whatever their time");
    }
    return replay_dead_letters(body["dead_letters"].get<std::string>(), std::move(who));
  }
  for (const char* key : {"channel", "from", "to"}) {
    if (!body.contains(key)) {
      return error_response(
          400, std::string("'") + key + "' is missing: a range replay needs channel, from and to");
    }
  }
  return replay_range(body["channel"].get<std::string>(), body["from"].get<std::string>(),
                      body["to"].get<std::string>(), std::move(who));
}

http::HttpResponse ReplayApi::replay_range(const std::string& channel, const std::string& from,
                                           const std::string& to, audit::Entry who) const {
  const config::Config none;
  const auto source = replay::channel_source(config_ != nullptr ? *config_ : none, channel);
  if (!source) {
    return error_response(400, source.error());
  }
  const auto from_us = parse_iso(from, zone_);
  const auto to_us = parse_iso(to, zone_);
  for (const auto& [name, text, at] :
       {std::tuple("from", &from, &from_us), std::tuple("to", &to, &to_us)}) {
    if (!*at) {
      return error_response(400, std::string("'") + name + "': '" + *text +
                                     "' is not an ISO 8601 date or time "
                                     "(2026-03-05, 2026-03-05T08:15:00+07:00)");
    }
  }
  if (*from_us >= *to_us) {
    return error_response(400, "'to' must be later than 'from'");
  }
  ordered_json detail{{"via", "api"},
                      {"channel", channel},
                      {"source", *source},
                      {"from", format_iso(*from_us, zone_)},
                      {"to", format_iso(*to_us, zone_)}};
  replay::Outcome outcome;
  store_->with([&](store::Store& s) {
    outcome = replay::reprocess_range(s, {*source, *from_us, *to_us});
  });
  who.action = replay::kReprocessRange;
  who.detail = detail;
  const auto audited = replay::write_audit(*audit_, std::move(who), outcome);
  if (outcome.changed > 0 && rewind_) {
    rewind_(*source);
  }
  detail.erase("via");
  ordered_json body{{"action", replay::kReprocessRange}};
  body.update(detail);
  body["messages"] = outcome.changed;
  return answer(std::move(body), outcome, audited, "messages");
}

http::HttpResponse ReplayApi::replay_dead_letters(const std::string& queue,
                                                  audit::Entry who) const {
  const config::Config none;
  const auto checked = replay::destination_queue(config_ != nullptr ? *config_ : none, queue);
  if (!checked) {
    return error_response(400, checked.error());
  }
  replay::Outcome outcome;
  store_->with([&](store::Store& s) { outcome = replay::requeue_dead_letters(s, queue); });
  who.action = replay::kRequeueDeadLetters;
  who.detail = {{"via", "api"}, {"queue", queue}};
  const auto audited = replay::write_audit(*audit_, std::move(who), outcome);
  ordered_json body{
      {"action", replay::kRequeueDeadLetters}, {"queue", queue}, {"entries", outcome.changed}};
  return answer(std::move(body), outcome, audited, "entries");
}

http::HttpResponse ReplayApi::audit(const http::HttpRequest& request) const {
  const auto params = parse_query(request.target);
  if (!params) {
    return error_response(400, "malformed %-escape in the query");
  }
  std::size_t limit = kDefaultAuditLimit;
  for (const auto& [name, value] : *params) {
    const auto n = positive_number(value);
    if (name != "limit") {
      return error_response(400, "unknown parameter '" + name + "' (known: limit)");
    }
    if (!n || *n > static_cast<std::int64_t>(kMaxAuditLimit)) {
      return error_response(400, "parameter 'limit': '" + value + "' is not a number from 1 to " +
                                     std::to_string(kMaxAuditLimit));
    }
    limit = static_cast<std::size_t>(*n);
  }
  auto rows = store_->with([&](store::Store& s) { return s.audit(limit); });
  if (!rows) {
    return error_response(500, "journal audit read failed: " + rows.error().message());
  }
  ordered_json entries = ordered_json::array();
  for (const store::AuditEntry& e : *rows) {
    auto detail = ordered_json::parse(e.detail, nullptr, false);
    entries.push_back({{"id", e.id},
                       {"at", format_iso(e.at_us, zone_)},
                       {"actor", e.actor},
                       {"action", e.action},
                       {"detail", detail.is_discarded() ? ordered_json(e.detail) : detail}});
  }
  return json_response(200, {{"entries", entries}, {"count", rows->size()}});
}

}  // namespace hisbridge::admin
