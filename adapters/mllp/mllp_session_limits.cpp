// The MllpSession's connection around its messages: the TLS handshake, the handshake, idle and
// message timeouts, the frame rate, lingering and closing. The message path (framing, replies,
// reads and writes) is in mllp_session.cpp.
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ssl/error.hpp>
#include <spdlog/spdlog.h>

#include "adapters/mllp/mllp_session.hpp"
#include "adapters/tls/tls_context.hpp"

namespace hisbridge::mllp::detail {
namespace {

namespace net = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// How long a session closing after an oversize frame goes on reading (and discarding) what
// the peer still sends: closing a socket with unread bytes resets the connection, and a reset
// can destroy the AR before the peer has read it.
constexpr std::chrono::milliseconds kLingerTime{1000};
// How long a TLS close waits for the peer's close_notify after sending its own. A peer that
// never answers (the slow sender just timed out, most likely) costs this much at most.
constexpr std::chrono::milliseconds kTlsShutdownTime{1000};

long long ms(std::chrono::milliseconds d) { return static_cast<long long>(d.count()); }

}  // namespace

void MllpSession::start() {
  net::dispatch(strand_, [self = shared_from_this()] {
    auto* tls = std::get_if<TlsStream>(&self->stream_);
    if (tls == nullptr) {
      return self->begin();
    }
    self->handshaking_ = true;
    self->arm_timer(self->shared_->options.handshake_timeout);
    tls->async_handshake(net::ssl::stream_base::server,
                         [self](const error_code& ec) { self->on_handshake(ec); });
  });
}

// The connection is ready for MLLP (after the handshake under TLS).
void MllpSession::begin() {
  last_activity_ = Clock::now();
  tokens_ = std::max(1.0, shared_->max_frames_per_second());
  tokens_at_ = last_activity_;
  arm_next(last_activity_);
  pump();
}

void MllpSession::on_handshake(const error_code& ec) {
  handshaking_ = false;
  if (closed_) {
    return after_close();
  }
  if (ec) {
    return handshake_failed(tls::handshake_error_text(
        std::get<TlsStream>(stream_).native_handle(), ec));
  }
  secure_ = true;
  spdlog::debug("mllp {}: {}: TLS handshake done", shared_->options.name, peer_);
  begin();
}

// Logged once for the connection, with OpenSSL's reason and never a byte of what was sent.
void MllpSession::handshake_failed(const std::string& reason) {
  peer_failed_ = true;
  SSL* ssl = std::get<TlsStream>(stream_).native_handle();
  if (BIO_number_read(SSL_get_rbio(ssl)) == 0 && !handshake_timed_out_) {
    // Connected and closed without a byte: a load balancer's or a monitor's port check.
    spdlog::debug("mllp {}: {}: closed before a TLS handshake began", shared_->options.name,
                  peer_);
  } else {
    shared_->counters.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("mllp {}: {}: TLS handshake failed: {}", shared_->options.name, peer_, reason);
  }
  close();
}

// max_frames_per_second as a token bucket holding one second's frames: a sender may burst that
// many, then goes at the rate.
bool MllpSession::take_token() {
  const double rate = shared_->max_frames_per_second();
  if (rate <= 0) {
    return true;
  }
  const auto now = Clock::now();
  const std::chrono::duration<double> elapsed = now - tokens_at_;
  tokens_ = std::min(std::max(1.0, rate), tokens_ + rate * elapsed.count());
  tokens_at_ = now;
  if (tokens_ < 1.0) {
    return false;
  }
  tokens_ -= 1.0;
  return true;
}

// The frame in next_frame_ waits for its token; nothing more is read meanwhile (the sender's
// ACKs come later, no message is dropped).
void MllpSession::throttle() {
  throttled_ = true;
  shared_->counters.frames_throttled.fetch_add(1, std::memory_order_relaxed);
  if (!throttle_logged_) {
    throttle_logged_ = true;
    spdlog::info("mllp {}: {}: over max_frames_per_second ({}): reading more slowly",
                 shared_->options.name, peer_, shared_->max_frames_per_second());
  }
  const double rate = shared_->max_frames_per_second();  // set_limits may have changed it
  const std::chrono::duration<double> wait(rate > 0 ? (1.0 - tokens_) / rate : 0.0);
  pace_.expires_after(std::chrono::duration_cast<Clock::duration>(wait));
  pace_.async_wait([self = shared_from_this()](const error_code& ec) { self->on_pace(ec); });
}

void MllpSession::on_pace(const error_code& ec) {
  throttled_ = false;
  if (ec || closed_) {
    return;
  }
  pump();
}

// After each read: a message begins with the first byte after the previous complete one (or
// the connect); it is over when a frame has ended and no other has begun.
void MllpSession::note_message_progress(std::uint64_t frames_before) {
  if (shared_->message_timeout().count() <= 0) {
    return;
  }
  const bool ended = framer_.stats().frames != frames_before;
  if (ended && !framer_.in_frame()) {
    message_begun_ = false;
  } else if (ended || !message_begun_) {
    message_begun_ = true;
    message_begun_at_ = read_ended_at_;
  }
}

// From do_read, while a message is under way: the time since the last read ended was the
// listener's (holding back, or busy), not the peer's, so the message's clock moves on by it.
// The timer is brought forward if it would wake after the message's deadline.
void MllpSession::resume_message_clock() {
  const auto now = Clock::now();
  message_begun_at_ += now - read_ended_at_;
  read_ended_at_ = now;
  if (!timer_pending_ ||
      timer_.expiry() > message_begun_at_ + shared_->message_timeout()) {
    arm_next(now);
  }
}

void MllpSession::arm_timer(Clock::duration after) {
  timer_pending_ = true;
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this()](const error_code& ec) { self->on_timer(ec); });
}

// Arms the timer for the sooner of the idle deadline and, while the peer owes the rest of a
// message, the message deadline.
void MllpSession::arm_next(Clock::time_point now) {
  const auto idle = shared_->options.idle_timeout;
  const auto message = shared_->message_timeout();
  std::optional<Clock::duration> next;
  if (idle.count() > 0) {
    next = std::max<Clock::duration>(idle - (now - last_activity_), Clock::duration::zero());
  }
  if (message_begun_ && reading_ && message.count() > 0) {
    const Clock::duration left = std::max<Clock::duration>(
        message_begun_at_ + message - now, Clock::duration::zero());
    next = next ? std::min(*next, left) : left;
  }
  if (next) {
    arm_timer(*next);
  } else if (timer_pending_) {
    timer_pending_ = false;
    timer_.cancel();  // the handshake's
  }
}

// One timer serves the handshake, idle and message timeouts and the linger time. It is
// re-armed when it fires rather than on every read: the clock is read per read, the timer
// queue is not touched.
void MllpSession::on_timer(const error_code& ec) {
  if (ec || closed_) {
    return;
  }
  timer_pending_ = false;
  if (lingering_) {
    return close();
  }
  if (handshaking_) {
    handshake_timed_out_ = true;
    return handshake_failed("no TLS handshake within " +
                            std::to_string(ms(shared_->options.handshake_timeout)) + " ms");
  }
  const auto now = Clock::now();
  if (message_timed_out(now)) {
    return;
  }
  const auto idle = shared_->options.idle_timeout;
  if (parked_ || source_held_ || throttled_ || (!writing_ && in_flight() != 0)) {
    // Waiting on the engine (or on the strand to write a reply that just came, for a paused
    // source to resume, or for the frame rate) is not the peer's idleness. A write the peer
    // does not take counts from when it began.
    last_activity_ = now;
  } else if (idle.count() > 0 && now - last_activity_ >= idle) {
    shared_->counters.idle_timeouts.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("mllp {}: {}: closing after {} ms without traffic", shared_->options.name,
                 peer_, ms(idle));
    return close();
  }
  arm_next(now);
}

// Only while a read waits on the peer: the time the listener holds off reading is not counted
// (resume_message_clock moves the start on by it).
bool MllpSession::message_timed_out(Clock::time_point now) {
  const auto limit = shared_->message_timeout();
  if (!message_begun_ || !reading_ || limit.count() <= 0 || now - message_begun_at_ < limit) {
    return false;
  }
  shared_->counters.message_timeouts.fetch_add(1, std::memory_order_relaxed);
  // Slow senders come in numbers (an attack, a broken device reconnecting): one line a minute
  // per address, the counter counts them all.
  if (auto quiet = shared_->slow_senders.allow(address_, now)) {
    spdlog::warn("mllp {}: {}: closing: a message begun {} ms ago is still incomplete "
                 "(message_timeout {} ms; {} bytes of it came){}",
                 shared_->options.name, peer_,
                 ms(std::chrono::duration_cast<std::chrono::milliseconds>(now - message_begun_at_)),
                 ms(limit), framer_.buffered_bytes(),
                 *quiet == 0 ? std::string()
                             : "; " + std::to_string(*quiet) +
                                   " more from this address since the last line");
  }
  close();
  return true;
}

void MllpSession::linger() {
  if (lingering_) {
    return;
  }
  lingering_ = true;
  if (!secure_) {
    // Under TLS a half-close would end the TLS stream; the AR is written and the peer reads
    // it either way, and close() sends close_notify.
    error_code ignored;
    socket().shutdown(net::socket_base::shutdown_send, ignored);
  }
  const auto idle = shared_->options.idle_timeout;
  arm_timer(idle.count() > 0 ? std::min<Clock::duration>(kLingerTime, idle) : kLingerTime);
  if (!reading_) {
    do_discard();
  }
}

// Ends the session's part in the listener now; the socket closes now, or under TLS after a
// close_notify exchange bounded by kTlsShutdownTime.
void MllpSession::close() {
  if (closed_) {
    return;
  }
  closed_ = true;
  timer_.cancel();
  recheck_.cancel();
  pace_.cancel();
  timer_pending_ = false;
  if (const std::uint64_t ignored_bytes = framer_.stats().bytes_ignored; ignored_bytes != 0) {
    spdlog::info("mllp {}: {}: closed; {} bytes outside any frame were ignored",
                 shared_->options.name, peer_, ignored_bytes);
  }
  ticket_.release();
  shared_->forget(this);
  if (secure_ && !peer_failed_) {
    tls_closing_ = true;
    error_code ignored;
    socket().cancel(ignored);  // the pending read ends; after_close then sends close_notify
    timer_.expires_after(kTlsShutdownTime);
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (!ec) {
        self->close_socket();
      }
    });
    after_close();
  } else {
    close_socket();
  }
  release_if_done();
}

// Handlers that find the session closed end here: under TLS, once no read or write is under
// way, close_notify goes out and the socket closes when the peer answers (or the bound passes).
void MllpSession::after_close() {
  if (!tls_closing_ || reading_ || writing_) {
    return;
  }
  tls_closing_ = false;
  std::get<TlsStream>(stream_).async_shutdown(
      [self = shared_from_this()](const error_code& /*ec*/) { self->close_socket(); });
}

void MllpSession::close_socket() {
  error_code ignored;
  SessionSocket& s = socket();
  if (s.is_open()) {
    s.shutdown(net::socket_base::shutdown_both, ignored);
    s.close(ignored);
  }
  timer_.cancel();
}

}  // namespace hisbridge::mllp::detail
