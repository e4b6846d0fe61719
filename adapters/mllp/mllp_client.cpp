#include "adapters/mllp/mllp_client.hpp"

#include <array>
#include <chrono>
#include <optional>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include "adapters/tls/current_context.hpp"
#include "adapters/tls/tls_context.hpp"

namespace hisbridge::mllp {
namespace {

namespace net = boost::asio;
using boost::system::error_code;
using tcp = net::ip::tcp;

bool peer_closed(const error_code& ec) {
  return ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::connection_aborted ||
         ec == net::ssl::error::stream_truncated;
}

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const std::string port = std::to_string(endpoint.port());
  return endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]:" + port
                                    : endpoint.address().to_string() + ":" + port;
}

// How long a close waits for the peer's answer to its close_notify.
constexpr std::chrono::milliseconds kShutdownBound{500};

}  // namespace

// One exchange at a time: send() starts the chain, runs the io_context until the chain
// finishes or the timeout passes, and returns what finish() recorded. Handlers capture `this`
// rather than a shared_from_this: the io_context belongs to the Impl and send() returns only
// after every handler it started has run, so none can outlive it.
class MllpClient::Impl {
 public:
  Impl(std::string host, std::uint16_t port, ClientOptions options)
      : host_(std::move(host)),
        port_(port),
        options_(options),
        tls_current_(options_.tls),
        resolver_(ioc_),
        socket_(ioc_),
        framer_(FramerOptions{options.max_frame_bytes}) {}

  Result<std::string> send(std::string_view message, const AnswerFilter* is_answer);
  bool connected() const noexcept { return socket_.is_open(); }
  void close() noexcept;
  // close(), after a TLS session's close_notify (waited for at most kShutdownBound).
  void close_gracefully() noexcept;
  const std::string& tls_error() const noexcept { return tls_error_; }
  tls::CurrentContext& tls_current() noexcept { return tls_current_; }

 private:
  bool peer_still_there();
  void start_tls();
  void on_handshake(const error_code& ec);
  bool tls_broke(const error_code& ec);
  void do_resolve();
  void on_resolve(const error_code& ec, const tcp::resolver::results_type& endpoints);
  void on_connect(const error_code& ec, const tcp::endpoint& endpoint);
  void do_write();
  void on_write(const error_code& ec, std::size_t bytes);
  void do_read();
  void on_read(const error_code& ec, std::size_t bytes);
  void finish(Result<std::string> outcome);

  std::string host_;
  std::uint16_t port_;
  ClientOptions options_;
  // options_.tls until a reload replaces it; each connection takes the one current then.
  tls::CurrentContext tls_current_;
  net::io_context ioc_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  // TLS over socket_, made anew for each connection (an SSL object serves one); reset only
  // when no operation is pending on it.
  std::shared_ptr<net::ssl::context> tls_context_;  // what tls_ is made with: outlives it
  std::optional<net::ssl::stream<tcp::socket&>> tls_;
  std::string peer_;       // "10.1.2.3:2575", the address connected to
  std::string tls_error_;  // why the last send failed with Error::tls_failed
  bool tls_established_ = false;  // the handshake of the open connection succeeded
  Framer framer_;
  std::string frame_;  // the framed message being written
  std::array<char, std::size_t{16} * 1024> read_buffer_{};
  const AnswerFilter* is_answer_ = nullptr;  // set for one send; null: the first frame answers
  std::optional<Result<std::string>> outcome_;
};

Result<std::string> MllpClient::Impl::send(std::string_view message,
                                           const AnswerFilter* is_answer) {
  if (has_block_byte(message)) {
    return make_error_code(Error::forbidden_byte);
  }
  is_answer_ = is_answer;
  tls_error_.clear();
  frame_ = encode_frame(message);
  framer_.reset();
  outcome_.reset();
  ioc_.restart();
  if (socket_.is_open() && peer_still_there()) {
    do_write();
  } else {
    close();
    do_resolve();
  }
  ioc_.run_for(options_.timeout);
  if (!outcome_) {
    // Out of time: record the timeout first, so that the aborted handlers change nothing,
    // then let them run to completion before the next exchange starts.
    finish(make_error_code(Error::timeout));
    ioc_.restart();
    ioc_.run();
  }
  is_answer_ = nullptr;  // every handler has run: none can call it any more
  return std::move(*outcome_);
}

// A reused connection may have been closed by the peer since the last ACK. Looks without
// blocking; bytes left over from an earlier exchange answer nothing now and are dropped. Under
// TLS any byte (a close_notify, an alert, a late ACK) is read past the TLS layer, which breaks
// the TLS stream: the connection is made anew.
bool MllpClient::Impl::peer_still_there() {
  error_code ec;
  socket_.non_blocking(true, ec);
  std::size_t bytes = 1;
  std::size_t total = 0;
  while (!ec && bytes != 0) {
    bytes = socket_.read_some(net::buffer(read_buffer_), ec);
    total += bytes;
  }
  const bool alive = ec == net::error::would_block && !(tls_ && total != 0);
  socket_.non_blocking(false, ec);
  return alive;
}

// A connection closed on purpose ends its TLS session with close_notify, so that the peer can
// tell the end from a cut connection (a crash, or someone truncating the stream) and logs no
// error for it. Bounded: a peer that never answers the close_notify costs kShutdownBound.
void MllpClient::Impl::close_gracefully() noexcept {
  if (tls_ && tls_established_ && socket_.is_open()) {
    bool done = false;
    ioc_.restart();
    tls_->async_shutdown([&done](const error_code&) { done = true; });
    ioc_.run_for(kShutdownBound);
    if (!done) {
      error_code ignored;
      socket_.cancel(ignored);
      ioc_.restart();
      ioc_.run();
    }
  }
  close();
}

void MllpClient::Impl::close() noexcept {
  tls_established_ = false;
  error_code ignored;
  resolver_.cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void MllpClient::Impl::do_resolve() {
  resolver_.async_resolve(host_, std::to_string(port_),
                          [this](const error_code& ec, const tcp::resolver::results_type& r) {
                            on_resolve(ec, r);
                          });
}

void MllpClient::Impl::on_resolve(const error_code& ec,
                                  const tcp::resolver::results_type& endpoints) {
  if (ec) {
    return finish(ec == net::error::operation_aborted ? ec
                                                      : make_error_code(Error::resolve_failed));
  }
  // Tries each address in turn (::1, then 127.0.0.1 for "localhost").
  net::async_connect(socket_, endpoints,
                     [this](const error_code& connect_ec, const tcp::endpoint& endpoint) {
                       on_connect(connect_ec, endpoint);
                     });
}

void MllpClient::Impl::on_connect(const error_code& ec, const tcp::endpoint& endpoint) {
  if (ec) {
    return finish(ec == net::error::connection_refused ? make_error_code(Error::connection_refused)
                                                       : ec);
  }
  error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);  // one small frame, then a wait: send now
  peer_ = endpoint_text(endpoint);
  if (tls_current_.get()) {
    return start_tls();
  }
  tls_.reset();
  do_write();
}

// The server's name is checked against its certificate (when the context verifies) and sent
// as SNI, before the handshake.
void MllpClient::Impl::start_tls() {
  tls_.reset();
  tls_context_ = tls_current_.get();
  tls_.emplace(socket_, *tls_context_);
  const std::string& name = options_.server_name.empty() ? host_ : options_.server_name;
  if (auto expected = tls::expect_server_name(tls_->native_handle(), name); !expected) {
    tls_error_ = expected.error();
    return finish(make_error_code(Error::tls_failed));
  }
  tls_->async_handshake(net::ssl::stream_base::client,
                        [this](const error_code& ec) { on_handshake(ec); });
}

void MllpClient::Impl::on_handshake(const error_code& ec) {
  if (ec) {
    if (ec == net::error::operation_aborted) {
      return finish(ec);
    }
    tls_error_ = tls::handshake_error_text(tls_->native_handle(), ec) + " (peer " + peer_ + ")";
    return finish(make_error_code(Error::tls_failed));
  }
  tls_established_ = true;
  do_write();
}

// A TLS error after the handshake: under TLS 1.3 a server refuses a client certificate only
// after the client's handshake is done, so its alert ends the first read.
bool MllpClient::Impl::tls_broke(const error_code& ec) {
  if (!tls_ || ec.category() != net::error::get_ssl_category() ||
      ec == net::ssl::error::stream_truncated) {
    return false;
  }
  tls_error_ = tls::handshake_error_text(tls_->native_handle(), ec) + " (peer " + peer_ + ")";
  finish(make_error_code(Error::tls_failed));
  return true;
}

void MllpClient::Impl::do_write() {
  auto on_written = [this](const error_code& ec, std::size_t bytes) { on_write(ec, bytes); };
  if (tls_) {
    return net::async_write(*tls_, net::buffer(frame_), std::move(on_written));
  }
  net::async_write(socket_, net::buffer(frame_), std::move(on_written));
}

void MllpClient::Impl::on_write(const error_code& ec, std::size_t /*bytes*/) {
  if (ec) {
    if (tls_broke(ec)) {
      return;
    }
    return finish(peer_closed(ec) ? make_error_code(Error::closed_before_ack) : ec);
  }
  do_read();
}

void MllpClient::Impl::do_read() {
  auto on_data = [this](const error_code& ec, std::size_t bytes) { on_read(ec, bytes); };
  if (tls_) {
    return tls_->async_read_some(net::buffer(read_buffer_), std::move(on_data));
  }
  socket_.async_read_some(net::buffer(read_buffer_), std::move(on_data));
}

void MllpClient::Impl::on_read(const error_code& ec, std::size_t bytes) {
  if (ec) {
    if (tls_broke(ec)) {
      return;
    }
    return finish(peer_closed(ec) ? make_error_code(Error::closed_before_ack) : ec);
  }
  framer_.feed(std::string_view(read_buffer_.data(), bytes));
  while (auto event = framer_.next()) {
    if (event->has_error() || is_answer_ == nullptr || (*is_answer_)(event->value())) {
      return finish(std::move(*event));  // the ACK, or frame_too_large
    }
  }
  do_read();
}

// Records the first outcome only: after a timeout, the aborted handlers still end here.
void MllpClient::Impl::finish(Result<std::string> outcome) {
  if (outcome_) {
    return;
  }
  if (outcome.has_error()) {
    close();
  }
  outcome_ = std::move(outcome);
}

MllpClient::MllpClient(std::string host, std::uint16_t port, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(host), port, options)) {}

MllpClient::~MllpClient() { impl_->close_gracefully(); }

Result<std::string> MllpClient::send(std::string_view message) {
  return impl_->send(message, nullptr);
}

Result<std::string> MllpClient::send(std::string_view message, const AnswerFilter& is_answer) {
  return impl_->send(message, is_answer ? &is_answer : nullptr);
}

bool MllpClient::connected() const noexcept { return impl_->connected(); }

const std::string& MllpClient::tls_error() const noexcept { return impl_->tls_error(); }

std::shared_ptr<boost::asio::ssl::context> MllpClient::tls_context() const {
  return impl_->tls_current().get();
}

bool MllpClient::replace_tls_context(std::shared_ptr<boost::asio::ssl::context> next) {
  return impl_->tls_current().replace(std::move(next));
}

void MllpClient::close() noexcept { impl_->close_gracefully(); }

Result<std::string> send_message(const std::string& host, std::uint16_t port,
                                 std::string_view message, const ClientOptions& options) {
  MllpClient client(host, port, options);
  return client.send(message);
}

}  // namespace hisbridge::mllp
