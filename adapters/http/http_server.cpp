#include "adapters/http/http_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

namespace hisbridge::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

std::string_view HttpRequest::header(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (beast::iequals(h.name, name)) {
      return h.value;
    }
  }
  return {};
}

std::string_view HttpRequest::path() const {
  return std::string_view(target).substr(0, target.find('?'));
}

HttpResponse HttpResponse::text(unsigned status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  r.body = std::move(body);
  if (!r.body.ends_with('\n')) {
    r.body += '\n';
  }
  return r;
}

void HttpResponder::operator()(HttpResponse response) const {
  sink_->respond([r = std::move(response)]() mutable { return std::move(r); });
}

void HttpResponder::build_on_strand(std::function<HttpResponse()> make) const {
  sink_->respond(std::move(make));
}

namespace {

// How long a connection that is being closed after an error answer keeps reading what the
// client still sends, so that closing with unread bytes (which makes the kernel send a reset)
// does not destroy the answer before the client has read it.
constexpr std::chrono::seconds kLingerTime{2};

bool is_benign(const error_code& ec) {
  return ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::operation_aborted || ec == net::error::broken_pipe ||
         ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
         ec == beast::error::timeout;
}

std::string peer_of(const tcp::socket& socket) {
  error_code ec;
  const tcp::endpoint ep = socket.remote_endpoint(ec);
  if (ec) {
    return "unknown";
  }
  const std::string address = ep.address().to_string();
  const std::string port = std::to_string(ep.port());
  return ep.address().is_v6() ? "[" + address + "]:" + port : address + ":" + port;
}

// Header values come from handlers; a line break in one would let it write headers of its own.
std::string one_line(std::string_view value) {
  std::string out(value);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return out;
}

class Session;

// What the acceptor and every connection share. Connections keep it alive after the server
// object is gone, until their last handler has run.
struct ServerState {
  ServerState(HttpHandler& h, HttpServerOptions o) : handler(h), options(std::move(o)) {}

  HttpHandler& handler;
  const HttpServerOptions options;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> stopped{false};
  std::mutex mutex;
  std::unordered_map<const Session*, std::weak_ptr<Session>> sessions;  // guarded by mutex
};

// One connection, after Beast's http_server_async example: it owns itself through
// shared_from_this, runs on its own strand, reads one request at a time with a timeout and a
// size cap, and has at most one write in flight.
class Session final : public detail::ResponseSink, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<ServerState> state)
      : executor_(socket.get_executor()),
        peer_(peer_of(socket)),
        stream_(std::move(socket)),
        state_(std::move(state)) {
    state_->connections.fetch_add(1, std::memory_order_relaxed);
  }
  ~Session() override {
    const std::lock_guard lock(state_->mutex);
    state_->sessions.erase(this);
    state_->connections.fetch_sub(1, std::memory_order_relaxed);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void run(bool over_capacity);
  void respond(std::function<HttpResponse()> make) override;
  void close();

 private:
  void do_read_header();
  void on_read_header(error_code ec, std::size_t bytes);
  void do_continue();
  void on_continue(error_code ec, std::size_t bytes);
  void do_read_body();
  void on_read_body(error_code ec, std::size_t bytes);
  void read_failed(error_code ec, std::string_view what);
  void hand_over();
  void on_response(HttpResponse response);
  void do_write();
  void on_write(error_code ec, std::size_t bytes);
  void answer_and_close(unsigned status, std::string text);
  void do_drain();
  void on_drain(error_code ec, std::size_t bytes);
  void finish(error_code ec, std::string_view what);

  net::any_io_executor executor_;  // the connection's strand
  std::string peer_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::empty_body> continue_;
  bhttp::response<bhttp::string_body> response_;
  std::shared_ptr<ServerState> state_;
  unsigned version_ = 11;
  bool awaiting_response_ = false;
  bool keep_alive_ = false;
  bool linger_ = false;
  bool draining_ = false;
  std::array<char, 4096> drain_buffer_{};
};

void Session::run(bool over_capacity) {
  {
    const std::lock_guard lock(state_->mutex);
    state_->sessions.emplace(this, weak_from_this());
  }
  // Registered before this check, so a stop() that runs meanwhile either finds the connection
  // registered or has set `stopped` by now.
  net::dispatch(executor_, [self = shared_from_this(), over_capacity] {
    if (self->state_->stopped.load()) {
      return self->finish({}, "stop");
    }
    if (over_capacity) {
      return self->answer_and_close(503, "too many connections; try again later");
    }
    self->do_read_header();
  });
}

void Session::close() {
  net::post(executor_, [self = shared_from_this()] { self->finish({}, "stop"); });
}

void Session::do_read_header() {
  // A new parser for every request: Beast's parsers read one message each.
  parser_.emplace();
  parser_->body_limit(state_->options.max_body_bytes);
  parser_->header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(state_->options.max_header_bytes, UINT32_MAX)));
  stream_.expires_after(state_->options.header_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&Session::on_read_header, shared_from_this()));
}

void Session::on_read_header(error_code ec, std::size_t /*bytes*/) {
  if (ec) {
    return read_failed(ec, "read header");
  }
  if (state_->stopped.load()) {
    return finish({}, "stop");
  }
  version_ = parser_->get().version();
  if (parser_->is_done()) {
    return hand_over();
  }
  // RFC 9110 §10.1.1: a client that sent `Expect: 100-continue` may wait for a 100 before it
  // sends the body (curl does for bodies over 1 KiB).
  if (version_ >= 11 && beast::iequals(parser_->get()[bhttp::field::expect], "100-continue")) {
    return do_continue();
  }
  do_read_body();
}

void Session::do_continue() {
  continue_ = bhttp::response<bhttp::empty_body>(bhttp::status::continue_, version_);
  stream_.expires_after(state_->options.write_timeout);
  bhttp::async_write(stream_, continue_,
                     beast::bind_front_handler(&Session::on_continue, shared_from_this()));
}

void Session::on_continue(error_code ec, std::size_t /*bytes*/) {
  if (ec) {
    return finish(ec, "write 100-continue");
  }
  do_read_body();
}

void Session::do_read_body() {
  stream_.expires_after(state_->options.body_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&Session::on_read_body, shared_from_this()));
}

void Session::on_read_body(error_code ec, std::size_t /*bytes*/) {
  if (ec) {
    return read_failed(ec, "read body");
  }
  hand_over();
}

// Too large is answered (413, 431) and so is a request Beast could not parse (400); a closed,
// reset or timed-out connection is simply closed.
void Session::read_failed(error_code ec, std::string_view what) {
  if (ec == bhttp::error::body_limit) {
    return answer_and_close(413, "request body larger than " +
                                     std::to_string(state_->options.max_body_bytes) + " bytes");
  }
  if (ec == bhttp::error::header_limit) {
    return answer_and_close(431, "request header larger than " +
                                     std::to_string(state_->options.max_header_bytes) + " bytes");
  }
  if (!is_benign(ec) &&
      ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
    return answer_and_close(400, "malformed HTTP request: " + ec.message());
  }
  finish(ec, what);
}

void Session::hand_over() {
  bhttp::request<bhttp::string_body> message = parser_->release();
  keep_alive_ = message.keep_alive() && state_->options.keep_alive && !state_->stopped.load();
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  }
  request.body = std::move(message.body());
  request.peer = peer_;
  awaiting_response_ = true;
  stream_.expires_never();  // the handler may take its time; the client waits
  state_->handler.handle(std::move(request), HttpResponder(shared_from_this()));
}

void Session::respond(std::function<HttpResponse()> make) {
  net::post(executor_,
            [self = shared_from_this(), make = std::move(make)] { self->on_response(make()); });
}

void Session::on_response(HttpResponse response) {
  if (!awaiting_response_) {
    return;  // answered already, or the connection is closed
  }
  awaiting_response_ = false;
  const unsigned status = response.status >= 100 && response.status <= 999 ? response.status : 500;
  response_ = bhttp::response<bhttp::string_body>(static_cast<bhttp::status>(status), version_);
  for (const HttpHeader& h : response.headers) {
    response_.insert(one_line(h.name), one_line(h.value));
  }
  response_.set(bhttp::field::server, "hisbridge");
  response_.body() = std::move(response.body);
  response_.keep_alive(keep_alive_);
  response_.prepare_payload();
  do_write();
}

void Session::do_write() {
  stream_.expires_after(state_->options.write_timeout);
  bhttp::async_write(stream_, response_,
                     beast::bind_front_handler(&Session::on_write, shared_from_this()));
}

void Session::on_write(error_code ec, std::size_t /*bytes*/) {
  if (ec) {
    return finish(ec, "write");
  }
  if (linger_) {
    return do_drain();
  }
  if (!keep_alive_ || state_->stopped.load()) {
    return finish({}, "close");
  }
  do_read_header();
}

void Session::answer_and_close(unsigned status, std::string text) {
  keep_alive_ = false;
  linger_ = true;
  awaiting_response_ = true;
  HttpResponse response = HttpResponse::text(status, std::move(text));
  if (status == 503) {
    response.headers.push_back({"Retry-After", "5"});
  }
  on_response(std::move(response));
}

// After an error answer: stop sending, then read and drop what the client still sends, until
// it closes or kLingerTime has passed (one expiry for the whole drain).
void Session::do_drain() {
  if (!draining_) {
    draining_ = true;
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
  }
  stream_.async_read_some(net::buffer(drain_buffer_),
                          beast::bind_front_handler(&Session::on_drain, shared_from_this()));
}

void Session::on_drain(error_code ec, std::size_t /*bytes*/) {
  if (ec) {
    return finish({}, "drain");
  }
  do_drain();
}

void Session::finish(error_code ec, std::string_view what) {
  if (ec && !is_benign(ec)) {
    spdlog::debug("http: {}: {} failed: {}", peer_, what, ec.message());
  }
  awaiting_response_ = false;
  error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
}

}  // namespace

class HttpServer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(net::io_context& ioc, std::string host, std::uint16_t port, HttpHandler& handler,
       HttpServerOptions options)
      : ioc_(ioc),
        host_(std::move(host)),
        port_(port),
        acceptor_(net::make_strand(ioc)),
        retry_timer_(acceptor_.get_executor()),
        state_(std::make_shared<ServerState>(handler, std::move(options))) {}

  Result<void> start();
  void stop();
  std::uint16_t port() const { return bound_port_.load(); }
  std::size_t connections() const { return state_->connections.load(); }

 private:
  void do_accept();
  void on_accept(error_code ec, tcp::socket socket);

  net::io_context& ioc_;
  std::string host_;
  std::uint16_t port_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  std::shared_ptr<ServerState> state_;
  std::atomic<std::uint16_t> bound_port_{0};
};

Result<void> HttpServer::Impl::start() {
  error_code ec;
  tcp::resolver resolver(ioc_);
  const auto endpoints = resolver.resolve(
      host_, std::to_string(port_), tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec) {
    return ec;
  }
  if (endpoints.empty()) {
    return make_error_code(net::error::host_not_found);
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  // Set up synchronously, before any handler of the acceptor exists.
  if (acceptor_.open(endpoint.protocol(), ec); ec) {
    return ec;
  }
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (acceptor_.bind(endpoint, ec); ec) {
    return ec;
  }
  if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec) {
    return ec;
  }
  bound_port_ = acceptor_.local_endpoint(ec).port();
  net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
  return {};
}

void HttpServer::Impl::stop() {
  if (state_->stopped.exchange(true)) {
    return;
  }
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_timer_.cancel();
  });
  std::vector<std::shared_ptr<Session>> open;
  {
    const std::lock_guard lock(state_->mutex);
    for (auto& [key, weak] : state_->sessions) {
      if (auto session = weak.lock()) {
        open.push_back(std::move(session));
      }
    }
  }
  for (const auto& session : open) {
    session->close();
  }
}

void HttpServer::Impl::do_accept() {
  // Each connection gets its own strand.
  acceptor_.async_accept(net::make_strand(ioc_),
                         beast::bind_front_handler(&Impl::on_accept, shared_from_this()));
}

void HttpServer::Impl::on_accept(error_code ec, tcp::socket socket) {
  if (state_->stopped.load() || ec == net::error::operation_aborted) {
    return;
  }
  if (ec) {
    // Out of file descriptors, most likely: wait a little instead of spinning.
    spdlog::warn("http: accept on port {} failed: {}", port(), ec.message());
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([self = shared_from_this()](error_code wait_ec) {
      if (!wait_ec) {
        self->do_accept();
      }
    });
    return;
  }
  const bool over_capacity = state_->connections.load() >= state_->options.max_connections;
  std::make_shared<Session>(std::move(socket), state_)->run(over_capacity);
  do_accept();
}

HttpServer::HttpServer(net::io_context& ioc, std::string host, std::uint16_t port,
                       HttpHandler& handler, HttpServerOptions options)
    : impl_(std::make_shared<Impl>(ioc, std::move(host), port, handler, std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

Result<void> HttpServer::start() { return impl_->start(); }

std::uint16_t HttpServer::port() const { return impl_->port(); }

void HttpServer::stop() { impl_->stop(); }

std::size_t HttpServer::connections() const { return impl_->connections(); }

}  // namespace hisbridge::http
