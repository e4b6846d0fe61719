// One HTTP connection, plain or over TLS: a template on the stream, instantiated for
// beast::tcp_stream and beast::ssl_stream<beast::tcp_stream>, so the plain path is the code it
// always was and TLS adds the handshake, the close_notify and nothing per request.
#include "adapters/http/http_session.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
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
#include <boost/beast/ssl/ssl_stream.hpp>
#include <spdlog/spdlog.h>

#include "adapters/tls/tls_context.hpp"

namespace hisbridge::http::detail {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// How long a connection that is being closed after an error answer keeps reading what the
// client still sends, so that closing with unread bytes (which makes the kernel send a reset)
// does not destroy the answer before the client has read it.
constexpr std::chrono::seconds kLingerTime{2};
// How long a TLS close waits for the peer's close_notify after sending its own. A peer that
// never answers costs this much at most.
constexpr std::chrono::seconds kTlsShutdownTime{1};

// What a client that speaks plain HTTP to the HTTPS port gets (as nginx does), written on the
// TCP connection before it is closed: it says what to change instead of a reset.
constexpr std::string_view kPlainHttpAnswer =
    "HTTP/1.1 400 Bad Request\r\n"
    "Server: hisbridge\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 42\r\n"
    "Connection: close\r\n"
    "\r\n"
    "this port speaks HTTPS: use https:// URLs\n";

bool is_benign(const error_code& ec) {
  return ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::operation_aborted || ec == net::error::broken_pipe ||
         ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
         ec == beast::error::timeout || ec == ssl::error::stream_truncated;
}

// OpenSSL read an HTTP request line where a ClientHello should have been.
bool is_plain_http(const error_code& ec) {
  return ec.category() == net::error::get_ssl_category() &&
         ERR_GET_REASON(static_cast<unsigned long>(static_cast<unsigned int>(ec.value()))) ==
             SSL_R_HTTP_REQUEST;
}

// Header values come from handlers; a line break in one would let it write headers of its own.
std::string one_line(std::string_view value) {
  std::string out(value);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return out;
}

// One connection, after Beast's http_server_async example: it owns itself through
// shared_from_this, runs on its own strand, reads one request at a time with a timeout and a
// size cap, and has at most one write in flight. Under TLS it begins with the handshake.
template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  Session(tcp::socket socket, std::shared_ptr<ServerState> state,
          hisbridge::net::PeerGate::Ticket ticket, Peer peer)
      : executor_(socket.get_executor()),
        address_(peer.address),
        peer_(std::move(peer.text)),
        tls_(kTls ? state->tls.get() : nullptr),
        stream_(make_stream(std::move(socket), tls_.get())),
        state_(std::move(state)),
        ticket_(std::move(ticket)) {
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
  void close() override;

 private:
  static Stream make_stream(tcp::socket socket, boost::asio::ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls);
    } else {
      return Stream(std::move(socket));
    }
  }
  beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream_); }
  std::shared_ptr<Session> self() { return this->shared_from_this(); }

  void start_http(bool over_capacity);
  void do_handshake(bool over_capacity);
  void on_handshake(bool over_capacity, error_code ec);
  void handshake_failed(error_code ec);
  void on_plain_answer(error_code ec, std::size_t bytes);
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
  void on_shutdown(error_code ec);
  void close_now();

  net::any_io_executor executor_;  // the connection's strand
  hisbridge::net::IpAddress address_;
  std::string peer_;
  // The TLS context the stream was made with, held while it lives: a reload may replace the
  // server's meanwhile. Null for plain HTTP.
  std::shared_ptr<boost::asio::ssl::context> tls_;
  Stream stream_;
  std::shared_ptr<ServerState> state_;
  hisbridge::net::PeerGate::Ticket ticket_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::empty_body> continue_;
  bhttp::response<bhttp::string_body> response_;
  unsigned version_ = 11;
  bool awaiting_response_ = false;
  bool keep_alive_ = false;
  bool linger_ = false;
  bool draining_ = false;
  bool secure_ = false;   // the TLS handshake is done: reads and writes go through TLS
  bool closing_ = false;  // close_notify under way, or closed
  bool closed_ = false;
  std::array<char, 4096> drain_buffer_{};
};

template <class Stream>
void Session<Stream>::run(bool over_capacity) {
  {
    const std::lock_guard lock(state_->mutex);
    state_->sessions.emplace(this, this->weak_from_this());
  }
  // Registered before this check, so a stop() that runs meanwhile either finds the connection
  // registered or has set `stopped` by now.
  net::dispatch(executor_, [self = self(), over_capacity] {
    if (self->state_->stopped.load()) {
      return self->close_now();
    }
    if constexpr (kTls) {
      return self->do_handshake(over_capacity);
    }
    self->start_http(over_capacity);
  });
}

template <class Stream>
void Session<Stream>::start_http(bool over_capacity) {
  if (over_capacity) {
    return answer_and_close(503, "too many connections; try again later");
  }
  do_read_header();
}

template <class Stream>
void Session<Stream>::close() {
  net::post(executor_, [self = self()] { self->close_now(); });
}

template <class Stream>
void Session<Stream>::do_handshake(bool over_capacity) {
  if constexpr (kTls) {
    tcp_layer().expires_after(state_->options.handshake_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            beast::bind_front_handler(&Session::on_handshake, self(),
                                                      over_capacity));
  }
}

template <class Stream>
void Session<Stream>::on_handshake(bool over_capacity, error_code ec) {
  if (closing_) {
    return close_now();  // stop() cut the handshake
  }
  if (ec) {
    return handshake_failed(ec);
  }
  secure_ = true;
  start_http(over_capacity);
}

// Counted and logged (at most once a minute per address) with OpenSSL's reason, never with a
// byte of what was sent. A plain HTTP request gets a plain 400 that says to use https.
template <class Stream>
void Session<Stream>::handshake_failed(error_code ec) {
  if constexpr (kTls) {
    SSL* ssl = stream_.native_handle();
    const bool timed_out = ec == beast::error::timeout;
    if (!timed_out && BIO_number_read(SSL_get_rbio(ssl)) == 0) {
      // Connected and closed without a byte: a load balancer's or a monitor's port check.
      spdlog::debug("http {}: {}: closed before a TLS handshake began", state_->options.name,
                    peer_);
      return close_now();
    }
    state_->counters.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
    const std::string reason =
        timed_out ? "no TLS handshake within " +
                        std::to_string(state_->options.handshake_timeout.count()) + " ms"
                  : tls::handshake_error_text(ssl, ec);
    if (auto quiet = state_->handshake_log.allow(address_, std::chrono::steady_clock::now())) {
      spdlog::warn("http {}: {}: TLS handshake failed: {}{}", state_->options.name, peer_, reason,
                   *quiet == 0 ? std::string()
                               : " (and " + std::to_string(*quiet) +
                                     " failures from this address not logged in the last minute)");
    }
    if (is_plain_http(ec)) {
      tcp_layer().expires_after(state_->options.write_timeout);
      return net::async_write(tcp_layer(), net::buffer(kPlainHttpAnswer),
                              beast::bind_front_handler(&Session::on_plain_answer, self()));
    }
  }
  close_now();
}

template <class Stream>
void Session<Stream>::on_plain_answer(error_code ec, std::size_t /*bytes*/) {
  if (ec) {
    return close_now();
  }
  do_drain();  // not secure_: a TCP half-close, then what the client still sends is dropped
}

template <class Stream>
void Session<Stream>::do_read_header() {
  // A new parser for every request: Beast's parsers read one message each.
  parser_.emplace();
  parser_->body_limit(state_->options.max_body_bytes);
  parser_->header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(state_->options.max_header_bytes, UINT32_MAX)));
  tcp_layer().expires_after(state_->header_timeout());
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&Session::on_read_header, self()));
}

template <class Stream>
void Session<Stream>::on_read_header(error_code ec, std::size_t /*bytes*/) {
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

template <class Stream>
void Session<Stream>::do_continue() {
  continue_ = bhttp::response<bhttp::empty_body>(bhttp::status::continue_, version_);
  tcp_layer().expires_after(state_->options.write_timeout);
  bhttp::async_write(stream_, continue_, beast::bind_front_handler(&Session::on_continue, self()));
}

template <class Stream>
void Session<Stream>::on_continue(error_code ec, std::size_t /*bytes*/) {
  if (ec) {
    return finish(ec, "write 100-continue");
  }
  do_read_body();
}

template <class Stream>
void Session<Stream>::do_read_body() {
  tcp_layer().expires_after(state_->body_timeout());
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&Session::on_read_body, self()));
}

template <class Stream>
void Session<Stream>::on_read_body(error_code ec, std::size_t /*bytes*/) {
  if (ec) {
    return read_failed(ec, "read body");
  }
  hand_over();
}

// Too large is answered (413, 431) and so is a request Beast could not parse (400); a closed,
// reset or timed-out connection is simply closed.
template <class Stream>
void Session<Stream>::read_failed(error_code ec, std::string_view what) {
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

template <class Stream>
void Session<Stream>::hand_over() {
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
  tcp_layer().expires_never();  // the handler may take its time; the client waits
  state_->handler.handle(std::move(request), HttpResponder(self()));
}

template <class Stream>
void Session<Stream>::respond(std::function<HttpResponse()> make) {
  net::post(executor_, [self = self(), make = std::move(make)] { self->on_response(make()); });
}

template <class Stream>
void Session<Stream>::on_response(HttpResponse response) {
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

template <class Stream>
void Session<Stream>::do_write() {
  tcp_layer().expires_after(state_->options.write_timeout);
  bhttp::async_write(stream_, response_, beast::bind_front_handler(&Session::on_write, self()));
}

template <class Stream>
void Session<Stream>::on_write(error_code ec, std::size_t /*bytes*/) {
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

template <class Stream>
void Session<Stream>::answer_and_close(unsigned status, std::string text) {
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
// it closes or kLingerTime has passed (one expiry for the whole drain). Under TLS the reads go
// through TLS (a TCP half-close would cut it short) and the end is a close_notify.
template <class Stream>
void Session<Stream>::do_drain() {
  if (!draining_) {
    draining_ = true;
    if (!secure_) {
      error_code ignored;
      tcp_layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    tcp_layer().expires_after(kLingerTime);
  }
  if (secure_) {
    return stream_.async_read_some(net::buffer(drain_buffer_),
                                   beast::bind_front_handler(&Session::on_drain, self()));
  }
  tcp_layer().async_read_some(net::buffer(drain_buffer_),
                              beast::bind_front_handler(&Session::on_drain, self()));
}

template <class Stream>
void Session<Stream>::on_drain(error_code ec, std::size_t /*bytes*/) {
  if (ec) {
    // End of stream is the client closing (under TLS: its close_notify), the drain's goal.
    return finish(ec == net::error::eof ? error_code{} : ec, "drain");
  }
  do_drain();
}

// Every end but stop() comes here. Under TLS a connection that ends in order (the answer was
// the last, the client's close_notify, the drain's end) sends close_notify first; a broken or
// timed-out one is closed at once.
template <class Stream>
void Session<Stream>::finish(error_code ec, std::string_view what) {
  if (closing_) {
    return close_now();  // an operation that our own close aborted
  }
  if (ec && !is_benign(ec)) {
    spdlog::debug("http {}: {}: {} failed: {}", state_->options.name, peer_, what, ec.message());
  }
  awaiting_response_ = false;
  if constexpr (kTls) {
    if (secure_ && (!ec || ec == net::error::eof)) {
      closing_ = true;
      tcp_layer().expires_after(kTlsShutdownTime);
      return stream_.async_shutdown(beast::bind_front_handler(&Session::on_shutdown, self()));
    }
  }
  close_now();
}

template <class Stream>
void Session<Stream>::on_shutdown(error_code /*ec*/) {
  close_now();  // the peer answered with its close_notify, closed, or the time ran out
}

template <class Stream>
void Session<Stream>::close_now() {
  closing_ = true;
  awaiting_response_ = false;
  if (closed_) {
    return;
  }
  closed_ = true;
  error_code ignored;
  tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
  tcp_layer().close();
  ticket_.release();  // the address's place is free once the socket is
}

}  // namespace

void serve(tcp::socket socket, std::shared_ptr<ServerState> state,
           hisbridge::net::PeerGate::Ticket ticket, Peer peer, bool over_capacity) {
  if (state->options.tls) {
    std::make_shared<Session<TlsStream>>(std::move(socket), std::move(state), std::move(ticket),
                                         std::move(peer))
        ->run(over_capacity);
    return;
  }
  std::make_shared<Session<PlainStream>>(std::move(socket), std::move(state), std::move(ticket),
                                         std::move(peer))
      ->run(over_capacity);
}

}  // namespace hisbridge::http::detail
