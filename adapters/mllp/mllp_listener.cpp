#include "adapters/mllp/mllp_listener.hpp"

#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/spdlog.h>

#include "adapters/mllp/mllp_session.hpp"
#include "adapters/tls/tls_context.hpp"

namespace hisbridge::mllp {
namespace {

namespace net = boost::asio;
using boost::system::error_code;
using tcp = net::ip::tcp;
using detail::ListenerShared;
using detail::MllpSession;
using detail::SessionSocket;
using detail::Strand;
using hisbridge::net::IpAddress;
using hisbridge::net::PeerGate;

// After a failed accept (out of file descriptors, most often) the next try waits this long, so
// that a lasting failure does not spin.
constexpr std::chrono::milliseconds kAcceptRetry{100};

// "10.1.2.3:51234"; "[fe80::1]:51234" for IPv6. An IPv4 peer of a socket bound to :: shows as
// plain IPv4.
std::string peer_text(const tcp::endpoint& endpoint) {
  net::ip::address address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6());
  }
  const std::string port = std::to_string(endpoint.port());
  return address.is_v6() ? "[" + address.to_string() + "]:" + port
                         : address.to_string() + ":" + port;
}

// The address alone, as the allow-list and the per-address limit see it (a v4-mapped peer is
// its IPv4 address).
IpAddress ip_of(const tcp::endpoint& endpoint) {
  const net::ip::address address = endpoint.address();
  if (address.is_v4()) {
    return IpAddress::v4(address.to_v4().to_bytes());
  }
  return IpAddress::v6(address.to_v6().to_bytes());
}

enum class Refusal { not_allowed, per_ip_limit, over_limit };

}  // namespace

// The acceptor side, in the shape of Beast's listener: it owns itself while an accept is
// pending, and runs its handlers on its own strand.
class MllpListener::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(net::io_context& ioc, MllpListenerOptions options, router::SourceCallbacks& callbacks)
      : ioc_(ioc),
        shared_(std::make_shared<ListenerShared>(std::move(options), callbacks)),
        strand_(net::make_strand(ioc)),
        acceptor_(strand_),
        retry_(strand_),
        next_strand_(net::make_strand(ioc)) {}

  Result<void> start();
  void stop();
  void pause_reading(bool paused);
  std::uint16_t port() const { return port_.load(std::memory_order_relaxed); }
  const ListenerShared& shared() const { return *shared_; }
  ListenerShared& shared_mutable() { return *shared_; }

 private:
  bool open_acceptor(const tcp::endpoint& endpoint, error_code& ec);
  void do_accept();
  void on_accept(const error_code& ec, SessionSocket socket);
  void admit(SessionSocket socket);
  void refuse(SessionSocket& socket, const IpAddress& address, Refusal why);

  net::io_context& ioc_;
  std::shared_ptr<ListenerShared> shared_;
  Strand strand_;
  net::basic_socket_acceptor<tcp, Strand> acceptor_;
  net::basic_waitable_timer<std::chrono::steady_clock, net::wait_traits<std::chrono::steady_clock>,
                            Strand>
      retry_;
  Strand next_strand_;  // the strand of the connection being accepted
  std::atomic<std::uint16_t> port_{0};
};

Result<void> MllpListener::Impl::start() {
  const MllpListenerOptions& o = shared_->options;
  error_code ec;
  tcp::resolver resolver(ioc_);
  const auto endpoints = resolver.resolve(
      o.host, std::to_string(o.port), tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (!ec && endpoints.empty()) {
    ec = make_error_code(boost::system::errc::invalid_argument);
  }
  if (ec || !open_acceptor(endpoints.begin()->endpoint(), ec)) {
    spdlog::error("mllp {}: cannot listen on {}:{}: {}", o.name, o.host, o.port, ec.message());
    return ec;
  }
  port_.store(acceptor_.local_endpoint().port(), std::memory_order_relaxed);
  spdlog::info("mllp {}: listening on {}:{}", o.name, o.host, port());
  net::post(strand_, [self = shared_from_this()] { self->do_accept(); });
  return {};
}

bool MllpListener::Impl::open_acceptor(const tcp::endpoint& endpoint, error_code& ec) {
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) {
    // Lets a restarted engine bind while connections of the old one linger in TIME_WAIT; a
    // port some process listens on still fails with address_in_use.
    acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor_.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    error_code ignored;
    acceptor_.close(ignored);
  }
  return !ec;
}

void MllpListener::Impl::stop() {
  std::vector<std::shared_ptr<MllpSession>> open;
  {
    std::lock_guard lock(shared_->mutex);
    if (shared_->stopped) {
      return;
    }
    shared_->stopped = true;
    shared_->parked.clear();
    for (const auto& [key, session] : shared_->sessions) {
      if (auto s = session.lock()) {
        open.push_back(std::move(s));
      }
    }
  }
  net::post(strand_, [self = shared_from_this()] {
    error_code ignored;
    self->retry_.cancel();
    if (self->acceptor_.is_open()) {
      spdlog::info("mllp {}: stopped listening", self->shared_->options.name);
    }
    self->acceptor_.close(ignored);
  });
  for (const auto& session : open) {
    session->stop();
  }
}

void MllpListener::Impl::pause_reading(bool paused) {
  std::vector<std::shared_ptr<MllpSession>> parked;
  {
    std::lock_guard lock(shared_->mutex);
    shared_->paused.store(paused, std::memory_order_release);
    if (!paused) {
      parked.swap(shared_->parked);
    }
  }
  for (const auto& session : parked) {
    session->resume();
  }
}

void MllpListener::Impl::do_accept() {
  // Each connection gets its own strand at accept; its socket's handlers all run on it.
  next_strand_ = net::make_strand(ioc_);
  acceptor_.async_accept(next_strand_,
                         [self = shared_from_this()](const error_code& ec, SessionSocket socket) {
                           self->on_accept(ec, std::move(socket));
                         });
}

void MllpListener::Impl::on_accept(const error_code& ec, SessionSocket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) {
    return;  // stopped
  }
  if (ec) {
    spdlog::warn("mllp {}: accepting a connection failed: {}", shared_->options.name, ec.message());
    retry_.expires_after(kAcceptRetry);
    return retry_.async_wait([self = shared_from_this()](const error_code& wait_ec) {
      if (!wait_ec && self->acceptor_.is_open()) {
        self->do_accept();
      }
    });
  }
  admit(std::move(socket));
  do_accept();
}

// The checks run before a byte is read, cheapest and most telling first: the allow-list, the
// peer's own connections, then the listener's.
void MllpListener::Impl::admit(SessionSocket socket) {
  error_code ec;
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) {
    return;  // gone already; the socket closes as it goes out of scope
  }
  const IpAddress address = ip_of(remote);
  const MllpListenerOptions& options = shared_->options;
  if (!shared_->allows(address)) {
    return refuse(socket, address, Refusal::not_allowed);
  }
  std::optional<PeerGate::Ticket> ticket = shared_->gate.admit(address);
  if (!ticket) {
    return refuse(socket, address, Refusal::per_ip_limit);
  }
  MllpListenerCounters& counters = shared_->counters;
  if (counters.connections_open.load(std::memory_order_relaxed) >= options.max_connections) {
    return refuse(socket, address, Refusal::over_limit);
  }
  // ACKs are small and awaited: send each write at once rather than waiting to fill a segment.
  socket.set_option(tcp::no_delay(true), ec);
  std::string peer = peer_text(remote);
  auto session = std::make_shared<MllpSession>(std::move(socket), next_strand_, peer, address,
                                               shared_, std::move(*ticket));
  if (!shared_->enlist(session)) {
    return;
  }
  counters.connections_accepted.fetch_add(1, std::memory_order_relaxed);
  spdlog::debug("mllp {}: {}: connected", options.name, peer);
  session->start();
}

// Counted every time; logged at most once a minute per address, so that a sender retrying in
// a loop (or a flood) does not flood the log.
void MllpListener::Impl::refuse(SessionSocket& socket, const IpAddress& address, Refusal why) {
  MllpListenerCounters& counters = shared_->counters;
  const MllpListenerOptions& options = shared_->options;
  std::string reason;
  switch (why) {
    case Refusal::not_allowed:
      counters.connections_refused_not_allowed.fetch_add(1, std::memory_order_relaxed);
      reason = "the address is not in allow_from";
      break;
    case Refusal::per_ip_limit:
      counters.connections_refused_per_ip_limit.fetch_add(1, std::memory_order_relaxed);
      reason = std::to_string(shared_->gate.max_per_address()) +
               " connections from this address are open (max_connections_per_ip)";
      break;
    case Refusal::over_limit:
      counters.connections_refused_over_limit.fetch_add(1, std::memory_order_relaxed);
      reason = std::to_string(options.max_connections) +
               " connections are open (max_connections)";
      break;
  }
  error_code ignored;
  socket.close(ignored);
  if (auto quiet = shared_->refusals.allow(address, std::chrono::steady_clock::now())) {
    spdlog::warn("mllp {}: connection from {} refused: {}{}", options.name, address.to_string(),
                 reason,
                 *quiet == 0 ? std::string()
                             : " (" + std::to_string(*quiet) +
                                   " more refusals since the last line about it)");
  }
}

MllpListener::MllpListener(boost::asio::io_context& ioc, MllpListenerOptions options,
                           router::SourceCallbacks& callbacks)
    : impl_(std::make_shared<Impl>(ioc, std::move(options), callbacks)) {}

MllpListener::~MllpListener() { impl_->stop(); }

Result<void> MllpListener::start() { return impl_->start(); }

std::uint16_t MllpListener::port() const { return impl_->port(); }

void MllpListener::stop() { impl_->stop(); }

void MllpListener::pause_reading(bool paused) { impl_->pause_reading(paused); }

const MllpListenerCounters& MllpListener::counters() const { return impl_->shared().counters; }

const MllpListenerOptions& MllpListener::options() const { return impl_->shared().options; }

void MllpListener::set_limits(MllpListenerLimits limits) {
  const MllpListenerOptions& o = impl_->shared().options;
  spdlog::info("mllp {}: limits now: {} allow_from ranges, max_connections_per_ip {}, "
               "message_timeout {} ms, max_frames_per_second {}",
               o.name, limits.allow_from.ranges().size(), limits.max_connections_per_ip,
               limits.message_timeout.count(), limits.max_frames_per_second);
  impl_->shared_mutable().set_limits(std::move(limits));
}

std::optional<std::chrono::system_clock::time_point> MllpListener::certificate_expiry() const {
  const auto tls = impl_->shared().tls.get();
  return tls ? tls::certificate_expiry(*tls) : std::nullopt;
}

std::shared_ptr<boost::asio::ssl::context> MllpListener::tls_context() const {
  return impl_->shared().tls.get();
}

bool MllpListener::replace_tls_context(std::shared_ptr<boost::asio::ssl::context> next) {
  return impl_->shared_mutable().tls.replace(std::move(next));
}

}  // namespace hisbridge::mllp
