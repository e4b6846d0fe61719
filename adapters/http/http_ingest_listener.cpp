#include "adapters/http/http_ingest_listener.hpp"
#include "engine/core/clock.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "adapters/http/v2xml_ack.hpp"
#include "engine/hl7/message.hpp"

namespace hisbridge::http {
namespace {

constexpr std::string_view kPrefix = "/ingest/";

enum class BodyKind { er7, xml, unsupported };

constexpr std::array<std::string_view, 4> kEr7Types = {
    "x-application/hl7-v2+er7", "application/hl7-v2", "application/hl7-v2+er7", "text/plain"};
constexpr std::array<std::string_view, 3> kXmlTypes = {"application/xml", "text/xml",
                                                       "application/hl7-v2+xml"};

// The media type of a Content-Type value, lower-case, without parameters or spaces.
std::string media_type(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) {
    type.remove_prefix(1);
  }
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) {
    type.remove_suffix(1);
  }
  std::string out(type);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

BodyKind kind_of(std::string_view type) {
  if (std::find(kEr7Types.begin(), kEr7Types.end(), type) != kEr7Types.end()) {
    return BodyKind::er7;
  }
  if (std::find(kXmlTypes.begin(), kXmlTypes.end(), type) != kXmlTypes.end()) {
    return BodyKind::xml;
  }
  return BodyKind::unsupported;
}

HttpResponse unavailable(std::string text, std::chrono::seconds retry_after) {
  HttpResponse r = HttpResponse::text(503, std::move(text));
  r.headers.push_back({"Retry-After", std::to_string(retry_after.count())});
  return r;
}

// 200 stored and accepted; 503 not stored (send again); 422 AE/CE; 400 AR/CR.
unsigned status_of(const router::Reply& reply) {
  if (reply.accepted) {
    return 200;
  }
  if (reply.message_id == 0) {
    return 503;
  }
  std::string code;
  if (auto ack = hl7::Message::parse(reply.ack)) {
    code = ack->get("MSA-1").value();
  }
  return code == "AE" || code == "CE" ? 422 : 400;
}

// The HTTP answer to Ingest's reply: the ACK, as ER7 or written as v2.xml.
HttpResponse answer(const router::Reply& reply, BodyKind kind, const std::string& type,
                    std::chrono::seconds retry_after) {
  HttpResponse r;
  r.status = status_of(reply);
  if (r.status == 503) {
    r.headers.push_back({"Retry-After", std::to_string(retry_after.count())});
  }
  if (kind == BodyKind::er7) {
    r.headers.push_back({"Content-Type", type});
    r.body = reply.ack;
    return r;
  }
  auto xml = ack_to_v2xml(reply.ack);
  if (!xml) {
    // Cannot happen with Ingest's ACKs; the sender still learns the outcome from the status.
    r.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
    r.body = reply.ack;
    return r;
  }
  r.headers.push_back({"Content-Type", type + "; charset=utf-8"});
  r.body = std::move(*xml);
  return r;
}

}  // namespace

HttpIngestListener::HttpIngestListener(boost::asio::io_context& ioc, HttpIngestOptions options,
                                       router::SourceCallbacks& callbacks)
    : options_(std::move(options)),
      callbacks_(callbacks),
      server_(ioc, options_.host, options_.port, *this, options_.server) {}

HttpIngestListener::~HttpIngestListener() { server_.stop(); }

Result<void> HttpIngestListener::start() { return server_.start(); }

void HttpIngestListener::stop() { server_.stop(); }

void HttpIngestListener::handle(HttpRequest request, HttpResponder respond) {
  const std::string_view path = request.path();
  if (!path.starts_with(kPrefix)) {
    return respond(
        HttpResponse::text(404, "no such resource; messages go to POST /ingest/{channel}"));
  }
  const std::string_view channel = path.substr(kPrefix.size());
  if (std::find(options_.sources.begin(), options_.sources.end(), channel) ==
      options_.sources.end()) {
    return respond(HttpResponse::text(404, "unknown channel"));
  }
  if (request.method != "POST") {
    HttpResponse r = HttpResponse::text(405, "only POST is allowed here");
    r.headers.push_back({"Allow", "POST"});
    return respond(std::move(r));
  }
  std::string type = media_type(request.header("Content-Type"));
  const BodyKind kind = kind_of(type);
  if (kind == BodyKind::unsupported) {
    return respond(HttpResponse::text(
        415,
        "unsupported Content-Type; send HL7 ER7 as x-application/hl7-v2+er7 (or "
        "application/hl7-v2, text/plain) or XML as application/xml (or text/xml)"));
  }
  if (paused_.load()) {
    return respond(unavailable("ingest is paused; send the message again later",
                               options_.paused_retry_after));
  }
  if (callbacks_.paused(channel)) {
    // Back-pressure: a destination queue of this source is over its limit. Nothing is stored.
    return respond(unavailable("ingest is paused while deliveries catch up; send the message "
                               "again later",
                               options_.paused_retry_after));
  }
  router::Envelope envelope{std::move(request.body), std::string(channel), std::move(request.peer),
                            unix_now_us()};
  // The reply comes on the store's writer thread, which must stay quick: the answer (an XML
  // one takes a parse and a write) is built on the connection's strand.
  callbacks_.on_message(std::move(envelope), [respond, kind, type = std::move(type),
                                              retry = options_.retry_after](router::Reply reply) {
    respond.build_on_strand(
        [reply = std::move(reply), kind, type, retry] { return answer(reply, kind, type, retry); });
  });
}

}  // namespace hisbridge::http
