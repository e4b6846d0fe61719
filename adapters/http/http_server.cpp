#include "adapters/http/http_server.hpp"

// The acceptor side of the HTTP server: binding, the checks at the door (allow-list, per-address
// and server-wide limits) and stop(). The connections are in http_session.cpp.
#include <atomic>
#include <mutex>
#include <optional>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/string.hpp>
#include <spdlog/spdlog.h>

#include "adapters/http/http_session.hpp"
#include "adapters/tls/tls_context.hpp"

namespace hisbridge::http {

namespace net = boost::asio;
namespace beast = boost::beast;
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

using detail::Peer;
using detail::ServerState;
using hisbridge::net::IpAddress;

enum class Refusal { not_allowed, per_ip_limit, over_limit };

Peer peer_of(const tcp::endpoint& endpoint) {
  const net::ip::address address = endpoint.address();
  const std::string text = address.to_string();
  const std::string port = std::to_string(endpoint.port());
  if (address.is_v4()) {
    return {IpAddress::v4(address.to_v4().to_bytes()), text + ":" + port};
  }
  // A v4-mapped peer (a server bound to ::) is its IPv4 address for the allow-list and gate.
  return {IpAddress::v6(address.to_v6().to_bytes()), "[" + text + "]:" + port};
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
  const HttpServerCounters& counters() const { return state_->counters; }
  ServerState& state() const { return *state_; }

 private:
  void do_accept();
  void on_accept(error_code ec, tcp::socket socket);
  void admit(tcp::socket socket);
  void refuse(tcp::socket& socket, const Peer& peer, Refusal why);

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
  std::vector<std::shared_ptr<detail::SessionBase>> open;
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
    spdlog::warn("http {}: accept on port {} failed: {}", state_->options.name, port(),
                 ec.message());
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([self = shared_from_this()](error_code wait_ec) {
      if (!wait_ec) {
        self->do_accept();
      }
    });
    return;
  }
  admit(std::move(socket));
  do_accept();
}

// The checks run before a byte is read, cheapest and most telling first: the allow-list, the
// peer's own connections, then the server's.
void HttpServer::Impl::admit(tcp::socket socket) {
  error_code ec;
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) {
    return;  // gone already; the socket closes as it goes out of scope
  }
  Peer peer = peer_of(remote);
  const HttpServerOptions& options = state_->options;
  if (!state_->allow_from.allows(peer.address)) {
    return refuse(socket, peer, Refusal::not_allowed);
  }
  std::optional<hisbridge::net::PeerGate::Ticket> ticket = state_->gate.admit(peer.address);
  if (!ticket) {
    return refuse(socket, peer, Refusal::per_ip_limit);
  }
  const bool over_capacity = state_->connections.load() >= options.max_connections;
  if (over_capacity) {
    refuse(socket, peer, Refusal::over_limit);  // counted and logged; answered 503 below
  }
  detail::serve(std::move(socket), state_, std::move(*ticket), std::move(peer), over_capacity);
}

// Counted every time; logged at most once a minute per address, so that a client retrying in
// a loop (or a flood) does not flood the log. The first two are closed here, unanswered.
void HttpServer::Impl::refuse(tcp::socket& socket, const Peer& peer, Refusal why) {
  HttpServerCounters& counters = state_->counters;
  const HttpServerOptions& options = state_->options;
  std::string reason;
  switch (why) {
    case Refusal::not_allowed:
      counters.refused_not_allowed.fetch_add(1, std::memory_order_relaxed);
      reason = "the address is not in allow_from";
      break;
    case Refusal::per_ip_limit:
      counters.refused_per_ip_limit.fetch_add(1, std::memory_order_relaxed);
      reason = std::to_string(state_->gate.max_per_address()) +
               " connections from this address are open (max_connections_per_ip)";
      break;
    case Refusal::over_limit:
      counters.refused_over_limit.fetch_add(1, std::memory_order_relaxed);
      reason = std::to_string(options.max_connections) +
               " connections are open (max_connections); answered 503";
      break;
  }
  if (why != Refusal::over_limit) {
    error_code ignored;
    socket.close(ignored);
  }
  if (auto quiet = state_->refusal_log.allow(peer.address, std::chrono::steady_clock::now())) {
    spdlog::warn("http {}: connection from {} refused: {}{}", options.name,
                 peer.address.to_string(), reason,
                 *quiet == 0 ? std::string()
                             : " (and " + std::to_string(*quiet) +
                                   " refusals of it in the last minute, not logged)");
  }
}

HttpServer::HttpServer(net::io_context& ioc, std::string host, std::uint16_t port,
                       HttpHandler& handler, HttpServerOptions options)
    : impl_(std::make_shared<Impl>(ioc, std::move(host), port, handler, std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

Result<void> HttpServer::start() { return impl_->start(); }

std::uint16_t HttpServer::port() const { return impl_->port(); }

void HttpServer::stop() { impl_->stop(); }

std::size_t HttpServer::connections() const { return impl_->connections(); }

const HttpServerCounters& HttpServer::counters() const { return impl_->counters(); }

std::optional<std::chrono::system_clock::time_point> HttpServer::certificate_expiry() const {
  const auto tls = impl_->state().tls.get();
  return tls ? tls::certificate_expiry(*tls) : std::nullopt;
}

void HttpServer::set_limits(HttpServerLimits limits) {
  detail::ServerState& state = impl_->state();
  spdlog::info("http {}: limits now: {} allow_from ranges, max_connections_per_ip {}, "
               "header_timeout {} ms, body_timeout {} ms",
               state.options.name, limits.allow_from.ranges().size(),
               limits.max_connections_per_ip, limits.header_timeout.count(),
               limits.body_timeout.count());
  state.allow_from.replace(std::move(limits.allow_from));
  state.gate.set_max_per_address(limits.max_connections_per_ip);
  state.header_timeout_ms.store(limits.header_timeout.count(), std::memory_order_relaxed);
  state.body_timeout_ms.store(limits.body_timeout.count(), std::memory_order_relaxed);
}

std::shared_ptr<boost::asio::ssl::context> HttpServer::tls_context() const {
  return impl_->state().tls.get();
}

bool HttpServer::replace_tls_context(std::shared_ptr<boost::asio::ssl::context> next) {
  return impl_->state().tls.replace(std::move(next));
}

}  // namespace hisbridge::http
