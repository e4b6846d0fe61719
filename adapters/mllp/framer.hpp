#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/mllp/error.hpp"
#include "engine/core/result.hpp"

namespace hisbridge::mllp {

// HL7 v2.5.1 Appendix C (MLLP release 1): a frame is <SB> message <EB><CR>.
inline constexpr char kStartBlock = '\x0b';
inline constexpr char kEndBlock = '\x1c';
inline constexpr char kCarriageReturn = '\x0d';
inline constexpr std::size_t kDefaultMaxFrameBytes = std::size_t{16} << 20;  // 16 MiB

struct FramerOptions {
  // The largest message (framing bytes excluded) a frame may carry.
  std::size_t max_frame_bytes = kDefaultMaxFrameBytes;
};

// What a Framer has seen so far, for logs and metrics. Never reset by `reset()`.
struct FramerStats {
  std::uint64_t frames = 0;            // complete frames yielded
  std::uint64_t frames_too_large = 0;  // frame_too_large events yielded
  std::uint64_t frames_abandoned = 0;  // unfinished frames dropped because a new <SB> began
  std::uint64_t bytes_ignored = 0;     // bytes outside any frame (noise, keep-alives)
  std::uint64_t bytes_discarded = 0;   // message bytes of abandoned and oversize frames
};

// `message` between <SB> and <EB><CR>. MLLP has no escaping: a message holding 0x0B or 0x1C
// cannot be framed faithfully (HL7 v2 forbids both in message text); callers that send
// untrusted bytes check with `has_block_byte` first.
std::string encode_frame(std::string_view message);

// True when `message` holds 0x0B or 0x1C.
bool has_block_byte(std::string_view message) noexcept;

// An incremental MLLP decoder: pure, no I/O. Feed it bytes as they arrive, split anywhere;
// take the complete events out with `next()`. Splitting the same bytes differently yields the
// same events and the same stats.
//
// The rules, for bytes that do not follow the protocol:
//   * Bytes outside a frame are ignored and counted in `bytes_ignored`.
//   * A frame ends only at <EB><CR>. An <EB> followed by any byte but <CR> or <SB> is kept
//     as message content together with that byte, and the frame goes on: a stray 0x1C never
//     truncates a message (a truncated ORU can still parse and would be acknowledged), and the
//     HL7 parser decides what to make of the content.
//   * <EB><SB> ends the frame (the sender left out the <CR>) and begins the next one: <SB>
//     can never be content, so the sender's intent is unambiguous.
//   * <SB> inside an unfinished frame abandons the unfinished part and begins a new frame:
//     a sender restarting a message it gave up on. The sender awaits no answer for the
//     abandoned part, so it yields no event; it is counted in `frames_abandoned` and
//     `bytes_discarded`, which the listener logs.
//   * A frame growing past `max_frame_bytes` yields one `Error::frame_too_large` event as soon
//     as the limit is crossed (not at its end), and the rest of it is discarded up to its
//     <EB><CR>; later frames are decoded normally. The listener answers AR and closes.
// An empty frame (<SB><EB><CR>) yields an empty message; judging it is the caller's job.
class Framer {
 public:
  explicit Framer(FramerOptions options = {});

  // Consumes all of `bytes`; never fails. Completed events queue up for `next()`.
  void feed(std::string_view bytes);

  // The oldest pending event: a complete message (framing removed), or
  // `Error::frame_too_large`. nullopt when more bytes are needed.
  std::optional<Result<std::string>> next();

  // True between an <SB> and the end of its frame: a peer closing now cut a frame short.
  bool in_frame() const noexcept { return state_ != State::outside; }
  // Message bytes of the unfinished frame held so far.
  std::size_t buffered_bytes() const noexcept { return buffer_.size(); }
  std::size_t max_frame_bytes() const noexcept { return options_.max_frame_bytes; }
  const FramerStats& stats() const noexcept { return stats_; }

  // Forgets the unfinished frame and the pending events, as after a reconnect.
  void reset();

 private:
  enum class State : std::uint8_t { outside, in_frame, end_block };

  std::string_view skip_outside(std::string_view bytes);
  std::string_view take_content(std::string_view bytes);
  std::string_view after_end_block(std::string_view bytes);
  void append(std::string_view content);
  void begin_frame();
  void abandon_frame();
  void end_frame();

  FramerOptions options_;
  State state_ = State::outside;
  bool oversize_ = false;  // the current frame crossed the limit: discard until it ends
  std::string buffer_;
  std::deque<Result<std::string>> events_;
  FramerStats stats_;
};

}  // namespace hisbridge::mllp
