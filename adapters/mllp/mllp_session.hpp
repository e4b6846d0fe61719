#pragma once

// Internal to the MLLP listener: included by mllp_listener.cpp and mllp_session.cpp only, so
// that Asio stays out of the listener's public header.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <optional>
#include <unordered_map>
#include <variant>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "adapters/mllp/framer.hpp"
#include "adapters/mllp/mllp_listener.hpp"
#include "adapters/net/current_allow_list.hpp"
#include "adapters/net/log_throttle.hpp"
#include "adapters/net/peer_gate.hpp"
#include "adapters/tls/current_context.hpp"
#include "engine/router/source.hpp"

namespace hisbridge::mllp::detail {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
using SessionSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, Strand>;
using SessionTimer =
    boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                      boost::asio::wait_traits<std::chrono::steady_clock>, Strand>;
using TlsStream = boost::asio::ssl::stream<SessionSocket>;
// The plain socket, or TLS over it: which one is fixed at accept. Visited per read and write,
// so the plain path pays a branch and nothing more.
using SessionStream = std::variant<SessionSocket, TlsStream>;

class MllpSession;

// What the listener and its sessions share. Sessions hold it, so it outlives the listener
// while any session is still closing.
struct ListenerShared {
  ListenerShared(MllpListenerOptions o, router::SourceCallbacks& c)
      : options(std::move(o)),
        callbacks(c),
        gate(options.max_connections_per_ip),
        tls(options.tls),
        message_timeout_ms(options.message_timeout.count()),
        frames_per_second(options.max_frames_per_second),
        allow_from(options.allow_from) {}

  // Registers a new session; false once the listener stops (the session is dropped).
  bool enlist(const std::shared_ptr<MllpSession>& session);
  // Unregisters a closed session.
  void forget(const MllpSession* session);
  // Parks a session while the pause switch is on; false when it is off (go on reading).
  bool park(const std::shared_ptr<MllpSession>& session);

  // The limits set_limits may change while connections run, read where they apply.
  std::chrono::milliseconds message_timeout() const {
    return std::chrono::milliseconds(message_timeout_ms.load(std::memory_order_relaxed));
  }
  double max_frames_per_second() const { return frames_per_second.load(std::memory_order_relaxed); }
  bool allows(const hisbridge::net::IpAddress& address) const { return allow_from.allows(address); }
  void set_limits(MllpListenerLimits limits);

  const MllpListenerOptions options;
  router::SourceCallbacks& callbacks;
  MllpListenerCounters counters;
  std::atomic<bool> paused{false};  // the engine-wide pause switch
  hisbridge::net::PeerGate gate;          // max_connections_per_ip
  hisbridge::net::LogThrottle refusals;   // one line a minute per refused address
  hisbridge::net::LogThrottle slow_senders;  // one message-timeout line a minute per address
  // The server context new connections take: options.tls until a reload replaces it.
  hisbridge::tls::CurrentContext tls;
  std::atomic<std::chrono::milliseconds::rep> message_timeout_ms;
  std::atomic<double> frames_per_second;
  hisbridge::net::CurrentAllowList allow_from;

  // Guards what follows; taken on accept, close and the pause switch, never per message.
  std::mutex mutex;
  bool stopped = false;
  std::unordered_map<const MllpSession*, std::weak_ptr<MllpSession>> sessions;
  std::vector<std::shared_ptr<MllpSession>> parked;  // held by the pause switch
};

// One accepted connection, in the shape of Beast's async server sessions: it owns itself
// through shared_from_this, runs every handler on its own strand, and keeps one read and one
// write in flight at most.
//
// Messages are numbered in arrival order. Message n waits for its reply in slot n % capacity;
// the reply, run on whatever thread the engine runs it on, fills the slot and wakes the
// strand, which writes the ready slots from the oldest unanswered one on, in one write. So
// ACKs leave in arrival order however the replies complete, each exactly once. With every
// slot taken the session reads no more (back-pressure). Nor does it while the engine says the
// source is paused (SourceCallbacks::paused: a destination queue is over its limit): owed ACKs
// still go out, the connection stays open, and a short timer asks again.
//
// While replies are owed the session pins itself (pin_), because a reply refers to it by a
// plain pointer: a reply must not allocate, and std::function stores only trivially copyable
// callables of two words without allocating.
//
// Under TLS the stream is an ssl::stream over the socket, and the session begins with the
// handshake (bounded by handshake_timeout); the limits of the connection (handshake, idle and
// message timeouts, the frame rate, closing with close_notify) are in mllp_session_limits.cpp.
class MllpSession : public std::enable_shared_from_this<MllpSession> {
 public:
  // With options.tls set, the session begins with a TLS handshake over `socket`. `ticket`
  // holds the peer's place under max_connections_per_ip until the session closes. `peer` is
  // "address:port", `address` the address alone.
  MllpSession(SessionSocket socket, Strand strand, std::string peer,
              const hisbridge::net::IpAddress& address, std::shared_ptr<ListenerShared> shared,
              hisbridge::net::PeerGate::Ticket ticket);
  ~MllpSession();
  MllpSession(const MllpSession&) = delete;
  MllpSession& operator=(const MllpSession&) = delete;

  // Each posts to the session's strand; callable from any thread.
  void start();
  void stop();    // the listener stops: close now, owed ACKs are not sent
  void resume();  // the pause switch went off

 private:
  struct Slot {
    std::string ack;
    bool accepted = false;
    std::atomic<bool> ready{false};  // stored by the replying thread, loaded on the strand
  };
  // The reply handed to the engine: two words, trivially copyable (see the class comment).
  struct ReplyTo {
    MllpSession* session;
    std::uint64_t sequence;
    void operator()(router::Reply reply) const { session->complete(sequence, std::move(reply)); }
  };

  void begin();
  void on_handshake(const boost::system::error_code& ec);
  void handshake_failed(const std::string& reason);
  void pump();
  void dispatch_frames();
  bool take_token();
  void throttle();
  void on_pace(const boost::system::error_code& ec);
  void note_message_progress(std::uint64_t frames_before);
  void resume_message_clock();
  void dispatch(std::string raw);
  void answer_too_large();
  void complete(std::uint64_t sequence, router::Reply reply);
  void on_replies();
  void do_read();
  void on_read(const boost::system::error_code& ec, std::size_t bytes);
  void do_write();
  void on_write(const boost::system::error_code& ec, std::size_t bytes);
  void do_discard();
  void on_discard(const boost::system::error_code& ec, std::size_t bytes);
  void arm_timer(std::chrono::steady_clock::duration after);
  void arm_next(std::chrono::steady_clock::time_point now);
  void on_timer(const boost::system::error_code& ec);
  bool message_timed_out(std::chrono::steady_clock::time_point now);
  void on_recheck(const boost::system::error_code& ec);
  void finish(const boost::system::error_code& ec, const char* what);
  void maybe_close();
  void linger();
  void close();
  void after_close();
  void close_socket();
  void release_if_done();
  SessionSocket& socket();
  template <class Handler>
  void async_read_some(Handler&& handler);
  bool held_by_switch();
  bool held_by_source();
  bool awaiting_reply() const;
  void note_framer_stats();
  void note_cut_frame();
  Slot& slot(std::uint64_t sequence) { return slots_[sequence % capacity_]; }
  std::uint64_t in_flight() const { return next_seq_ - write_seq_; }

  std::shared_ptr<ListenerShared> shared_;
  Strand strand_;
  // The TLS context the stream was made with (null: plain MLLP), held while the stream lives:
  // a reload may replace the listener's meanwhile.
  std::shared_ptr<boost::asio::ssl::context> tls_;
  SessionStream stream_;
  SessionTimer timer_;    // handshake, idle and message timeouts, linger, TLS shutdown bound
  SessionTimer recheck_;  // while the source is paused: when to ask again
  SessionTimer pace_;     // while over max_frames_per_second: when a token is back
  hisbridge::net::PeerGate::Ticket ticket_;
  const std::string peer_;  // "ip:port", for envelopes and logs
  const hisbridge::net::IpAddress address_;  // for logs limited per address
  Framer framer_;
  FramerStats seen_;  // the framer's stats already added to the listener's counters
  std::unique_ptr<char[]> read_buffer_;
  const std::size_t capacity_;     // max_in_flight
  std::unique_ptr<Slot[]> slots_;  // capacity_ of them
  std::uint64_t next_seq_ = 0;     // the number the next message gets
  std::uint64_t write_seq_ = 0;    // the oldest message whose ACK is not yet in write_buffer_
  std::atomic<bool> wake_posted_{false};  // an on_replies is posted and has not yet begun
  std::shared_ptr<MllpSession> pin_;      // set while replies may be owed
  std::string write_buffer_;              // the ACK frames of the write in flight
  std::chrono::steady_clock::time_point last_activity_;
  std::optional<std::string> next_frame_;  // taken from the framer, waiting for a token
  // max_frames_per_second: a token bucket of one second's frames.
  double tokens_ = 0;
  std::chrono::steady_clock::time_point tokens_at_;
  // message_timeout: when the message now under way began (its first byte came).
  std::chrono::steady_clock::time_point message_begun_at_;
  std::chrono::steady_clock::time_point read_ended_at_;  // when the last read completed
  bool message_begun_ = false;
  bool timer_pending_ = false;  // a wait on timer_ is outstanding
  bool handshaking_ = false;    // TLS: the handshake has not finished
  bool secure_ = false;         // TLS: the handshake succeeded (a close sends close_notify)
  bool peer_failed_ = false;    // the connection broke: close without TLS niceties
  bool throttled_ = false;      // waiting for a token; pace_ is armed
  bool throttle_logged_ = false;
  bool handshake_timed_out_ = false;
  bool tls_closing_ = false;  // closed: close_notify goes out once no read or write is pending
  bool reading_ = false;
  bool writing_ = false;
  bool frames_waiting_ = false;  // the framer may hold events not yet taken
  bool read_done_ = false;       // the peer finished sending: answer what is owed, then close
  bool draining_ = false;        // an oversize frame: answer what came before it, then close
  bool lingering_ = false;       // sending is shut down; reading and discarding until closed
  bool parked_ = false;          // held by the pause switch
  bool source_held_ = false;     // held while the source is paused; recheck_ is armed
  bool closed_ = false;
};

}  // namespace hisbridge::mllp::detail
