#include "adapters/mllp/mllp_session.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "engine/core/clock.hpp"
#include "engine/hl7/ack.hpp"
#include "engine/router/ingest.hpp"

namespace hisbridge::mllp::detail {
namespace {

namespace net = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadBufferBytes = std::size_t{64} * 1024;
constexpr std::size_t kWriteReserveBytes = std::size_t{4} * 1024;
// How soon a session held by a paused source asks again: short against the senders' ACK
// timeouts (seconds), long enough that a thousand held sessions cost nothing.
constexpr std::chrono::milliseconds kPausedRecheck{100};

bool peer_gone(const error_code& ec) {
  return ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::error::connection_aborted;
}

SessionStream make_stream(SessionSocket socket, net::ssl::context* tls) {
  if (tls != nullptr) {
    return SessionStream(std::in_place_type<TlsStream>, std::move(socket), *tls);
  }
  return SessionStream(std::in_place_type<SessionSocket>, std::move(socket));
}

}  // namespace

bool ListenerShared::enlist(const std::shared_ptr<MllpSession>& session) {
  std::lock_guard lock(mutex);
  if (stopped) {
    return false;
  }
  sessions.emplace(session.get(), session);
  counters.connections_open.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void ListenerShared::forget(const MllpSession* session) {
  std::lock_guard lock(mutex);
  if (sessions.erase(session) != 0) {
    counters.connections_open.fetch_sub(1, std::memory_order_relaxed);
  }
}

void ListenerShared::set_limits(MllpListenerLimits limits) {
  allow_from.replace(std::move(limits.allow_from));
  gate.set_max_per_address(limits.max_connections_per_ip);
  message_timeout_ms.store(limits.message_timeout.count(), std::memory_order_relaxed);
  frames_per_second.store(limits.max_frames_per_second, std::memory_order_relaxed);
}

bool ListenerShared::park(const std::shared_ptr<MllpSession>& session) {
  std::lock_guard lock(mutex);
  if (!paused.load(std::memory_order_relaxed)) {
    return false;
  }
  if (!stopped) {
    parked.push_back(session);
  }
  return true;
}

MllpSession::MllpSession(SessionSocket socket, Strand strand, std::string peer,
                         const hisbridge::net::IpAddress& address,
                         std::shared_ptr<ListenerShared> shared,
                         hisbridge::net::PeerGate::Ticket ticket)
    : shared_(std::move(shared)),
      strand_(std::move(strand)),
      tls_(shared_->tls.get()),
      stream_(make_stream(std::move(socket), tls_.get())),
      timer_(strand_),
      recheck_(strand_),
      pace_(strand_),
      ticket_(std::move(ticket)),
      peer_(std::move(peer)),
      address_(address),
      framer_(FramerOptions{shared_->options.max_frame_bytes}),
      read_buffer_(std::make_unique_for_overwrite<char[]>(kReadBufferBytes)),
      capacity_(std::max<std::size_t>(shared_->options.max_in_flight, 1)),
      slots_(std::make_unique<Slot[]>(capacity_)) {
  static_assert(std::is_trivially_copyable_v<ReplyTo> && sizeof(ReplyTo) <= 2 * sizeof(void*),
                "a ReplyTo must fit std::function's local storage");
  write_buffer_.reserve(kWriteReserveBytes);
}

MllpSession::~MllpSession() = default;

// A graceful stop: no new frame is taken, the messages already handed to the engine are
// answered (their commits finish before the engine stops the store), then the connection
// closes as after an oversize frame. A sender that sent more gets no answer for it and sends it
// again to the next run.
void MllpSession::stop() {
  net::post(strand_, [self = shared_from_this()] {
    if (self->handshaking_) {
      return self->close();  // nothing is owed yet
    }
    if (!self->closed_) {
      spdlog::debug("mllp {}: {}: the listener stops: answering what is owed, then closing",
                    self->shared_->options.name, self->peer_);
      self->draining_ = true;
      self->pump();
    }
  });
}

void MllpSession::resume() {
  net::post(strand_, [self = shared_from_this()] {
    self->parked_ = false;
    self->last_activity_ = Clock::now();
    self->pump();
  });
}

// Every state change ends here: answer what is ready, hand waiting frames to the engine,
// read when there is room, close when everything owed is written.
void MllpSession::pump() {
  if (closed_ || handshaking_) {
    return;
  }
  do_write();
  dispatch_frames();
  do_write();  // an AR for an oversize frame is ready at once
  do_read();
  maybe_close();
}

// A frame taken from the framer waits in next_frame_ while max_frames_per_second holds it
// back; frames_waiting_ stays set, so nothing more is read meanwhile.
void MllpSession::dispatch_frames() {
  std::uint64_t handed = 0;
  while (frames_waiting_ && !draining_ && !throttled_ && in_flight() < capacity_ &&
         !held_by_switch()) {
    if (!next_frame_) {
      std::optional<Result<std::string>> event = framer_.next();
      if (!event) {
        frames_waiting_ = false;
        break;
      }
      if (event->has_error()) {
        answer_too_large();
        continue;
      }
      next_frame_ = std::move(**event);
    }
    if (!take_token()) {
      throttle();
      break;
    }
    dispatch(std::move(*next_frame_));
    next_frame_.reset();
    ++handed;
  }
  if (handed != 0) {
    shared_->counters.frames.fetch_add(handed, std::memory_order_relaxed);
  }
}

void MllpSession::dispatch(std::string raw) {
  const std::uint64_t sequence = next_seq_++;
  if (!pin_) {
    pin_ = shared_from_this();
  }
  shared_->callbacks.on_message(
      router::Envelope{std::move(raw), shared_->options.name, peer_, unix_now_us()},
      ReplyTo{this, sequence});
}

// The frame crossed max_frame_bytes: its AR takes the next place in line, and nothing after
// it is read or answered. The first bytes of the frame are gone, so the AR cannot echo MSH-10.
void MllpSession::answer_too_large() {
  const std::size_t limit = shared_->options.max_frame_bytes;
  hl7::ParseError error;
  error.code = hl7::Error::too_large;
  error.detail = "the MLLP frame exceeded " + std::to_string(limit) + " bytes";
  Slot& s = slot(next_seq_++);
  s.ack = hl7::build_reject({}, error, {"HBF" + std::to_string(unix_now_us()), router::hl7_now_utc()});
  s.accepted = false;
  s.ready.store(true, std::memory_order_relaxed);
  draining_ = true;
  shared_->counters.frames_too_large.fetch_add(1, std::memory_order_relaxed);
  spdlog::warn("mllp {}: {}: a frame exceeded {} bytes; answering AR and closing",
               shared_->options.name, peer_, limit);
}

// Runs on the engine's thread. The session is pinned: this reply is owed, so pin_ stays until
// the strand has seen it. `self` keeps the session alive until this function returns.
void MllpSession::complete(std::uint64_t sequence, router::Reply reply) {
  std::shared_ptr<MllpSession> self = shared_from_this();
  Slot& s = slot(sequence);
  s.ack = std::move(reply.ack);
  s.accepted = reply.accepted;
  s.ready.store(true, std::memory_order_release);
  // One wake-up for a burst of replies: a posted on_replies that has not begun will see this
  // slot; one that has begun cleared the flag first, so this reply posts another.
  if (!wake_posted_.exchange(true, std::memory_order_acq_rel)) {
    net::post(strand_, [self = std::move(self)] { self->on_replies(); });
  }
}

void MllpSession::on_replies() {
  wake_posted_.exchange(false, std::memory_order_acq_rel);
  if (closed_) {
    return release_if_done();  // the peer is gone: the reply is dropped
  }
  pump();
}

SessionSocket& MllpSession::socket() {
  if (auto* tls = std::get_if<TlsStream>(&stream_)) {
    return tls->next_layer();
  }
  return std::get<SessionSocket>(stream_);
}

template <class Handler>
void MllpSession::async_read_some(Handler&& handler) {
  const auto buffer = net::buffer(read_buffer_.get(), kReadBufferBytes);
  if (auto* plain = std::get_if<SessionSocket>(&stream_)) {
    return plain->async_read_some(buffer, std::forward<Handler>(handler));
  }
  std::get<TlsStream>(stream_).async_read_some(buffer, std::forward<Handler>(handler));
}

void MllpSession::do_read() {
  if (reading_ || draining_ || read_done_ || closed_ || frames_waiting_ ||
      in_flight() >= capacity_ || held_by_switch()) {
    return;
  }
  reading_ = true;
  async_read_some([self = shared_from_this()](const error_code& ec, std::size_t bytes) {
    self->on_read(ec, bytes);
  });
  if (message_begun_) {
    resume_message_clock();
  }
}

void MllpSession::on_read(const error_code& ec, std::size_t bytes) {
  reading_ = false;
  if (closed_) {
    return after_close();
  }
  if (ec) {
    return finish(ec, "read");
  }
  last_activity_ = Clock::now();
  read_ended_at_ = last_activity_;
  const std::uint64_t frames_before = framer_.stats().frames;
  framer_.feed(std::string_view(read_buffer_.get(), bytes));
  frames_waiting_ = true;
  note_message_progress(frames_before);
  note_framer_stats();
  pump();
}

// Gathers the ready ACKs from the oldest unanswered message on into one write.
void MllpSession::do_write() {
  if (writing_ || closed_) {
    return;
  }
  std::uint64_t answered = 0;
  std::uint64_t negative = 0;
  for (; write_seq_ != next_seq_; ++write_seq_, ++answered) {
    Slot& s = slot(write_seq_);
    if (!s.ready.load(std::memory_order_acquire)) {
      break;
    }
    write_buffer_ += kStartBlock;
    write_buffer_ += s.ack;
    write_buffer_ += kEndBlock;
    write_buffer_ += kCarriageReturn;
    negative += s.accepted ? 0 : 1;
    s.ack.clear();
    s.ready.store(false, std::memory_order_relaxed);
  }
  if (write_seq_ == next_seq_) {
    pin_.reset();  // no reply is owed; the handler running this holds its own reference
  }
  if (answered == 0) {
    return;
  }
  shared_->counters.messages_answered.fetch_add(answered, std::memory_order_relaxed);
  if (negative != 0) {
    shared_->counters.negative_acks.fetch_add(negative, std::memory_order_relaxed);
  }
  writing_ = true;
  last_activity_ = Clock::now();
  auto on_written = [self = shared_from_this()](const error_code& ec, std::size_t bytes) {
    self->on_write(ec, bytes);
  };
  if (auto* plain = std::get_if<SessionSocket>(&stream_)) {
    return net::async_write(*plain, net::buffer(write_buffer_), std::move(on_written));
  }
  net::async_write(std::get<TlsStream>(stream_), net::buffer(write_buffer_),
                   std::move(on_written));
}

void MllpSession::on_write(const error_code& ec, std::size_t /*bytes*/) {
  writing_ = false;
  if (closed_) {
    return after_close();
  }
  if (ec) {
    return finish(ec, "write");
  }
  write_buffer_.clear();
  last_activity_ = Clock::now();
  pump();
}

// After an oversize frame: sending is shut down, and whatever the peer still sends is read and
// dropped until it closes or the linger time runs out.
void MllpSession::do_discard() {
  reading_ = true;
  async_read_some([self = shared_from_this()](const error_code& ec, std::size_t bytes) {
    self->on_discard(ec, bytes);
  });
}

void MllpSession::on_discard(const error_code& ec, std::size_t /*bytes*/) {
  reading_ = false;
  if (closed_) {
    return after_close();
  }
  if (ec) {
    peer_failed_ = ec != net::error::eof;
    return close();  // eof: the peer has read the AR and closed
  }
  do_discard();
}

// Handlers' errors end here. End of stream is the peer saying it sends no more: it may still
// await ACKs (a half-close), so the owed answers go out before the session closes.
void MllpSession::finish(const error_code& ec, const char* what) {
  if (closed_) {
    return;  // our own close aborted the operation
  }
  // Under TLS, a peer that closes without close_notify (stream_truncated) may still be
  // reading, as after a plain half-close.
  if (ec == net::error::eof || ec == net::ssl::error::stream_truncated) {
    read_done_ = true;
    peer_failed_ = ec != net::error::eof;
    note_cut_frame();
    return pump();
  }
  peer_failed_ = true;  // no TLS close_notify to a connection that broke
  if (peer_gone(ec)) {
    note_cut_frame();
    spdlog::debug("mllp {}: {}: {}: {}", shared_->options.name, peer_, what, ec.message());
  } else {
    spdlog::warn("mllp {}: {}: {} failed: {}", shared_->options.name, peer_, what, ec.message());
  }
  close();
}

void MllpSession::maybe_close() {
  if (closed_ || writing_ || in_flight() != 0) {
    return;
  }
  if (draining_) {
    return linger();
  }
  if (read_done_ && !frames_waiting_) {
    spdlog::debug("mllp {}: {}: closed by the peer", shared_->options.name, peer_);
    close();
  }
}

// Every caller runs inside a handler that holds its own reference, so dropping the pin here
// never destroys the session under our feet.
void MllpSession::release_if_done() {
  if (pin_ && !awaiting_reply()) {
    pin_.reset();
  }
}

bool MllpSession::held_by_switch() {
  if (parked_) {
    return true;
  }
  if (!shared_->paused.load(std::memory_order_acquire)) {
    return held_by_source();
  }
  parked_ = shared_->park(shared_from_this());
  return parked_ || held_by_source();
}

// Back-pressure from the engine: while the source is paused, nothing more is read or handed
// over. The engine does not tell sessions when it resumes, so a timer asks again.
bool MllpSession::held_by_source() {
  if (source_held_) {
    return true;
  }
  if (!shared_->callbacks.paused(shared_->options.name)) {
    return false;
  }
  source_held_ = true;
  recheck_.expires_after(kPausedRecheck);
  recheck_.async_wait([self = shared_from_this()](const error_code& ec) { self->on_recheck(ec); });
  return true;
}

void MllpSession::on_recheck(const error_code& ec) {
  source_held_ = false;
  if (ec || closed_) {
    return;
  }
  last_activity_ = Clock::now();
  pump();  // asks again: held once more while the source is still paused
}

bool MllpSession::awaiting_reply() const {
  for (std::uint64_t sequence = write_seq_; sequence != next_seq_; ++sequence) {
    if (!slots_[sequence % capacity_].ready.load(std::memory_order_acquire)) {
      return true;
    }
  }
  return false;
}

void MllpSession::note_framer_stats() {
  const FramerStats& stats = framer_.stats();
  if (stats.bytes_ignored != seen_.bytes_ignored) {
    const std::uint64_t bytes = stats.bytes_ignored - seen_.bytes_ignored;
    shared_->counters.bytes_ignored.fetch_add(bytes, std::memory_order_relaxed);
    spdlog::debug("mllp {}: {}: {} bytes outside any frame ignored", shared_->options.name, peer_,
                  bytes);
  }
  if (stats.frames_abandoned != seen_.frames_abandoned) {
    const std::uint64_t frames = stats.frames_abandoned - seen_.frames_abandoned;
    shared_->counters.frames_abandoned.fetch_add(frames, std::memory_order_relaxed);
    spdlog::warn("mllp {}: {}: {} unfinished frame(s) dropped: a new frame began before the end",
                 shared_->options.name, peer_, frames);
  }
  seen_ = stats;
}

void MllpSession::note_cut_frame() {
  if (!framer_.in_frame()) {
    return;
  }
  shared_->counters.frames_abandoned.fetch_add(1, std::memory_order_relaxed);
  spdlog::warn("mllp {}: {}: the peer closed in the middle of a frame ({} bytes dropped)",
               shared_->options.name, peer_, framer_.buffered_bytes());
}

}  // namespace hisbridge::mllp::detail
