#include "adapters/fhir/fhir_client.hpp"

#include <openssl/ssl.h>
#include <poll.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>
#include <utility>

#include "adapters/fhir/error.hpp"

namespace hisbridge::fhir {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using boost::system::error_code;
using tcp = net::ip::tcp;
using Request = http::request<http::string_body>;

// Every asynchronous step answers with its error_code instead of throwing.
constexpr auto kNoThrow = net::as_tuple(net::use_awaitable);
constexpr std::size_t kMaxHeaderBytes = std::size_t{64} * 1024;

struct Endpoint {
  bool tls = false;
  std::string host;         // without the brackets of an IPv6 literal
  std::string port;         // always given: 80 or 443 when the URL has none
  std::string target;       // the path, "/" when the URL has none
  std::string host_header;  // host[:port] as the URL wrote it
};

Result<Endpoint> parse_base_url(std::string_view url) {
  Endpoint e;
  if (url.starts_with("https://")) {
    e.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return make_error_code(Error::bad_url);
  }
  const std::size_t slash = url.find('/');
  e.host_header = std::string(url.substr(0, slash));
  e.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  std::string_view authority = e.host_header;
  if (authority.empty() || authority.find_first_of("@?# ") != std::string_view::npos ||
      e.target.find_first_of("?# ") != std::string::npos) {
    return make_error_code(Error::bad_url);
  }
  // [v6]:port, host:port, or a bare host.
  const std::size_t close = authority.starts_with('[') ? authority.find(']') : 0;
  if (close == std::string_view::npos) {
    return make_error_code(Error::bad_url);
  }
  const std::size_t colon = authority.find(':', close);
  e.host = std::string(authority.starts_with('[') ? authority.substr(1, close - 1)
                                                  : authority.substr(0, colon));
  e.port = colon == std::string_view::npos ? (e.tls ? "443" : "80")
                                           : std::string(authority.substr(colon + 1));
  if (e.host.empty() || e.port.empty() ||
      e.port.find_first_not_of("0123456789") != std::string::npos) {
    return make_error_code(Error::bad_url);
  }
  return e;
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

// A peer that went away shows as one of these on a write or a read.
bool peer_closed(const error_code& ec) {
  return ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::connection_aborted ||
         ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == ssl::error::stream_truncated;
}

error_code exchange_error(const error_code& ec) {
  if (ec == beast::error::timeout || ec == net::error::operation_aborted) {
    return make_error_code(Error::timeout);
  }
  if (peer_closed(ec)) {
    return make_error_code(Error::closed);
  }
  if (ec.category() == make_error_code(http::error::body_limit).category()) {
    return make_error_code(Error::bad_response);  // body or header limit, malformed answer
  }
  return ec;
}

// Idempotency keys come from the queue; a CR or LF in one would split the header.
std::string header_safe(std::string_view value) {
  std::string out;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7F) {
      out += c;
    }
  }
  return out;
}

Result<std::unique_ptr<ssl::context>> make_tls_context(const FhirClientOptions& options) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  // TLS 1.2 is the oldest version still considered safe (RFC 8996 retired 1.0 and 1.1).
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  error_code ec;
  if (options.verify_peer) {
    context->set_verify_mode(ssl::verify_peer, ec);
    if (!ec) {
      if (options.ca_file.empty()) {
        context->set_default_verify_paths(ec);
      } else {
        context->load_verify_file(options.ca_file, ec);
      }
    }
  } else {
    context->set_verify_mode(ssl::verify_none, ec);
  }
  if (ec) {
    return ec;
  }
  return context;
}

}  // namespace

// One exchange at a time: post() spawns a coroutine for it and runs the io_context until the
// coroutine is done. The coroutine captures `this`; the io_context belongs to the Impl and
// post() returns only when every operation it started has finished, so nothing outlives it.
class FhirClient::Impl {
 public:
  Impl(FhirClientOptions options, Endpoint endpoint, std::unique_ptr<ssl::context> tls)
      : options_(std::move(options)),
        endpoint_(std::move(endpoint)),
        tls_context_(std::move(tls)),
        resolver_(ioc_) {}

  Result<FhirResponse> post(const nlohmann::json& bundle, std::string_view key);
  std::size_t connections() const noexcept { return connections_; }

 private:
  Request make_request(const nlohmann::json& bundle, std::string_view key) const;
  Result<FhirResponse> run(const Request& request);
  net::awaitable<void> attempt(const Request& request);
  net::awaitable<error_code> connect();
  template <class Stream>
  net::awaitable<error_code> exchange(Stream& stream, const Request& request);
  void finish(Result<FhirResponse> outcome);
  beast::tcp_stream& lowest();
  bool connected() const { return plain_.has_value() || secure_.has_value(); }
  bool still_open();
  void close() noexcept;

  FhirClientOptions options_;
  Endpoint endpoint_;
  std::unique_ptr<ssl::context> tls_context_;  // null for http
  net::io_context ioc_;
  tcp::resolver resolver_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::optional<Result<FhirResponse>> outcome_;
  std::size_t connections_ = 0;
};

Result<FhirResponse> FhirClient::Impl::post(const nlohmann::json& bundle, std::string_view key) {
  const Request request = make_request(bundle, key);
  const bool reused = connected() && still_open();
  if (!reused) {
    close();
  }
  Result<FhirResponse> outcome = run(request);
  // A kept-alive connection the server closed just as we reused it: nothing of an answer
  // came, so the server did not act on the bundle; send it once more on a new connection.
  if (reused && outcome.has_error() && outcome.error() == Error::closed &&
      !(parser_ && parser_->got_some())) {
    outcome = run(request);
  }
  return outcome;
}

Request FhirClient::Impl::make_request(const nlohmann::json& bundle, std::string_view key) const {
  Request request{http::verb::post, endpoint_.target, 11};
  request.set(http::field::host, endpoint_.host_header);
  request.set(http::field::user_agent, "hisbridge");
  request.set(http::field::content_type, "application/fhir+json");
  request.set(http::field::accept, "application/fhir+json");
  request.set("Idempotency-Key", header_safe(key));
  if (!options_.authorization.empty()) {
    request.set(http::field::authorization, header_safe(options_.authorization));
  }
  request.keep_alive(true);
  // Invalid UTF-8 in a record becomes U+FFFD rather than an exception on the data path.
  request.body() = bundle.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  request.prepare_payload();
  return request;
}

Result<FhirResponse> FhirClient::Impl::run(const Request& request) {
  outcome_.reset();
  parser_.reset();
  ioc_.restart();
  net::co_spawn(ioc_, attempt(request), [](const std::exception_ptr&) {});
  // The stream's own timers bound connecting and the exchange; this bounds name resolution,
  // which no stream timer covers.
  ioc_.run_for(options_.connect_timeout + options_.request_timeout);
  if (!outcome_) {
    // Out of time: record the timeout first so the aborted steps change nothing, then let
    // them finish before anything else uses the io_context.
    finish(make_error_code(Error::timeout));
    ioc_.restart();
    ioc_.run();
  }
  if (!outcome_) {
    outcome_ = make_error_code(Error::timeout);  // the coroutine ended by an exception
  }
  return std::move(*outcome_);
}

net::awaitable<void> FhirClient::Impl::attempt(const Request& request) {
  if (!connected()) {
    if (const error_code ec = co_await connect()) {
      co_return finish(ec);
    }
  }
  const error_code ec =
      secure_ ? co_await exchange(*secure_, request) : co_await exchange(*plain_, request);
  if (ec) {
    co_return finish(exchange_error(ec));
  }
  http::response<http::string_body> response = parser_->release();
  if (!response.keep_alive()) {
    close();  // the server said Connection: close, or spoke HTTP/1.0
  }
  FhirResponse out;
  out.status = response.result_int();
  out.body = std::move(response.body());
  out.disposition = classify(out.status);
  finish(std::move(out));
}

net::awaitable<error_code> FhirClient::Impl::connect() {
  buffer_.clear();
  if (tls_context_) {
    secure_.emplace(ioc_, *tls_context_);
  } else {
    plain_.emplace(ioc_);
  }
  auto [resolve_ec, endpoints] =
      co_await resolver_.async_resolve(endpoint_.host, endpoint_.port, kNoThrow);
  if (resolve_ec) {
    co_return resolve_ec == net::error::operation_aborted ? make_error_code(Error::timeout)
                                                          : make_error_code(Error::resolve_failed);
  }
  lowest().expires_after(options_.connect_timeout);
  auto [connect_ec, endpoint] = co_await lowest().async_connect(endpoints, kNoThrow);
  if (connect_ec) {
    co_return connect_ec == net::error::connection_refused
        ? make_error_code(Error::connection_refused)
        : exchange_error(connect_ec);
  }
  ++connections_;
  if (!secure_) {
    co_return error_code();
  }
  // SNI names the host for servers with several certificates; RFC 6066 §3 forbids it for
  // an IP address.
  if (!is_ip_literal(endpoint_.host)) {
    // SSL_set_tlsext_host_name, without the macro's C cast.
    SSL_ctrl(secure_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(endpoint_.host.c_str()));
  }
  if (options_.verify_peer) {
    secure_->set_verify_callback(ssl::host_name_verification(endpoint_.host));
  }
  auto [handshake_ec] = co_await secure_->async_handshake(ssl::stream_base::client, kNoThrow);
  if (handshake_ec) {
    co_return handshake_ec == beast::error::timeout ? make_error_code(Error::timeout)
                                                    : make_error_code(Error::tls_failed);
  }
  co_return error_code();
}

template <class Stream>
net::awaitable<error_code> FhirClient::Impl::exchange(Stream& stream, const Request& request) {
  lowest().expires_after(options_.request_timeout);
  auto [write_ec, written] = co_await http::async_write(stream, request, kNoThrow);
  if (write_ec) {
    co_return write_ec;
  }
  parser_.emplace();
  parser_->body_limit(options_.max_response_bytes);
  parser_->header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
  auto [read_ec, read] = co_await http::async_read(stream, buffer_, *parser_, kNoThrow);
  lowest().expires_never();
  co_return read_ec;
}

// Records the first outcome only: after a timeout the aborted steps still end here.
void FhirClient::Impl::finish(Result<FhirResponse> outcome) {
  if (outcome_) {
    return;
  }
  if (outcome.has_error()) {
    close();
  }
  outcome_ = std::move(outcome);
}

beast::tcp_stream& FhirClient::Impl::lowest() {
  return secure_ ? beast::get_lowest_layer(*secure_) : *plain_;
}

// Between two posts a kept-alive connection should be silent. Readable means the server
// closed it (end of stream, a reset, a TLS close_notify) or sent something no request asked
// for; either way it is not used again. Looks without reading or blocking.
bool FhirClient::Impl::still_open() {
  pollfd watch{};
  watch.fd = lowest().socket().native_handle();
  watch.events = POLLIN | POLLRDHUP;
  return ::poll(&watch, 1, 0) == 0;
}

void FhirClient::Impl::close() noexcept {
  resolver_.cancel();
  if (connected()) {
    error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
  }
  plain_.reset();
  secure_.reset();
  buffer_.clear();
}

Disposition classify(unsigned status) {
  if (status >= 200 && status < 300) {
    return Disposition::ok;
  }
  // 408 and 429 say "not now": the same bundle can succeed later.
  if (status >= 500 || status == 408 || status == 429) {
    return Disposition::retry;
  }
  return Disposition::dead;
}

Disposition classify(const Result<FhirResponse>& outcome) {
  if (outcome.has_value()) {
    return outcome->disposition;
  }
  return outcome.error() == Error::bad_url ? Disposition::dead : Disposition::retry;
}

Result<std::unique_ptr<FhirClient>> FhirClient::create(FhirClientOptions options) {
  auto endpoint = parse_base_url(options.base_url);
  if (!endpoint) {
    return endpoint.error();
  }
  std::unique_ptr<ssl::context> tls;
  if (endpoint->tls) {
    auto context = make_tls_context(options);
    if (!context) {
      return context.error();
    }
    tls = std::move(*context);
  }
  return std::unique_ptr<FhirClient>(new FhirClient(
      std::make_unique<Impl>(std::move(options), std::move(*endpoint), std::move(tls))));
}

FhirClient::FhirClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FhirClient::~FhirClient() = default;

Result<FhirResponse> FhirClient::post_bundle(const nlohmann::json& bundle,
                                             std::string_view idempotency_key) {
  return impl_->post(bundle, idempotency_key);
}

std::size_t FhirClient::connections_opened() const noexcept { return impl_->connections(); }

}  // namespace hisbridge::fhir
