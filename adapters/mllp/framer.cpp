#include "adapters/mllp/framer.hpp"

#include <utility>

namespace hisbridge::mllp {
namespace {

constexpr std::string_view kBlockBytes{"\x0b\x1c", 2};

}  // namespace

std::string encode_frame(std::string_view message) {
  std::string frame;
  frame.reserve(message.size() + 3);
  frame += kStartBlock;
  frame += message;
  frame += kEndBlock;
  frame += kCarriageReturn;
  return frame;
}

bool has_block_byte(std::string_view message) noexcept {
  return message.find_first_of(kBlockBytes) != std::string_view::npos;
}

Framer::Framer(FramerOptions options) : options_(options) {}

void Framer::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    switch (state_) {
      case State::outside:
        bytes = skip_outside(bytes);
        break;
      case State::in_frame:
        bytes = take_content(bytes);
        break;
      case State::end_block:
        bytes = after_end_block(bytes);
        break;
    }
  }
}

std::optional<Result<std::string>> Framer::next() {
  if (events_.empty()) {
    return std::nullopt;
  }
  Result<std::string> event = std::move(events_.front());
  events_.pop_front();
  return event;
}

void Framer::reset() {
  state_ = State::outside;
  oversize_ = false;
  buffer_ = std::string();
  events_.clear();
}

std::string_view Framer::skip_outside(std::string_view bytes) {
  const std::size_t start = bytes.find(kStartBlock);
  if (start == std::string_view::npos) {
    stats_.bytes_ignored += bytes.size();
    return {};
  }
  stats_.bytes_ignored += start;
  begin_frame();
  return bytes.substr(start + 1);
}

std::string_view Framer::take_content(std::string_view bytes) {
  const std::size_t special = bytes.find_first_of(kBlockBytes);
  if (special == std::string_view::npos) {
    append(bytes);
    return {};
  }
  append(bytes.substr(0, special));
  if (bytes[special] == kStartBlock) {
    abandon_frame();
    begin_frame();
  } else {
    state_ = State::end_block;
  }
  return bytes.substr(special + 1);
}

std::string_view Framer::after_end_block(std::string_view bytes) {
  switch (bytes.front()) {
    case kCarriageReturn:
      end_frame();
      return bytes.substr(1);
    case kStartBlock:
      // <EB><SB>: the <CR> is missing; the frame is complete and the next one begins.
      end_frame();
      begin_frame();
      return bytes.substr(1);
    case kEndBlock:
      // The first <EB> was content; the second may still be the end.
      append(std::string_view(&kEndBlock, 1));
      return bytes.substr(1);
    default:
      // <EB> and the byte after it are content: the frame goes on from that byte.
      append(std::string_view(&kEndBlock, 1));
      state_ = State::in_frame;
      return bytes;
  }
}

void Framer::append(std::string_view content) {
  if (oversize_) {
    stats_.bytes_discarded += content.size();
    return;
  }
  if (content.size() > options_.max_frame_bytes - buffer_.size()) {
    stats_.bytes_discarded += buffer_.size() + content.size();
    buffer_ = std::string();  // give the memory back now, not at the end of the frame
    oversize_ = true;
    ++stats_.frames_too_large;
    events_.emplace_back(make_error_code(Error::frame_too_large));
    return;
  }
  buffer_ += content;
}

void Framer::begin_frame() {
  buffer_.clear();
  oversize_ = false;
  state_ = State::in_frame;
}

void Framer::abandon_frame() {
  if (!oversize_) {
    // An oversize frame was reported already; only a frame nobody heard of is abandoned.
    stats_.bytes_discarded += buffer_.size();
    ++stats_.frames_abandoned;
  }
  buffer_.clear();
}

void Framer::end_frame() {
  state_ = State::outside;
  if (oversize_) {
    oversize_ = false;
    return;
  }
  ++stats_.frames;
  events_.emplace_back(std::move(buffer_));
  buffer_ = std::string();
}

}  // namespace hisbridge::mllp
