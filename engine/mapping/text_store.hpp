#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace hisbridge::mapping {

// The bytes a mapping's output points into: its copy of the message, and every text the
// mapping made (a decoded value, a converted time, a joined name). Kept in blocks that never
// move, so a text handed out stays where it is until clear() or the store's end; moving the
// store moves the blocks, not the bytes. A store filled again for every message keeps its
// blocks: after the first messages it allocates nothing.
class TextStore {
 public:
  TextStore() = default;
  TextStore(const TextStore&) = delete;
  TextStore& operator=(const TextStore&) = delete;
  TextStore(TextStore&& other) noexcept;
  TextStore& operator=(TextStore&& other) noexcept;
  ~TextStore() = default;

  // A copy of `text`, kept. An empty text is kept as an empty view.
  std::string_view keep(std::string_view text) {
    if (text.empty()) {
      return {};
    }
    char* const at = room(text.size());
    std::memcpy(at, text.data(), text.size());
    return {at, text.size()};
  }
  // `n` bytes for the caller to write, kept as keep() keeps a text.
  char* room(std::size_t n) {
    if (n > left_) {
      grow(n);
    }
    char* const at = next_;
    next_ += n;
    left_ -= n;
    return at;
  }
  // Forgets every text (their bytes may be overwritten from now on). Keeps one block, as large
  // as all the texts were, for the next message; none after a message that needed more than
  // kMaxKeptBlock (a rare huge message does not hold its memory for good).
  void clear();
  // Bytes kept since the last clear().
  std::size_t used() const { return kept_before_ + (block_size_ - left_); }
  // Bytes of the blocks held.
  std::size_t held() const { return held_; }

  static constexpr std::size_t kMaxKeptBlock = std::size_t{1} << 20;

 private:
  void grow(std::size_t n);

  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;
  std::size_t left_ = 0;
  std::size_t block_size_ = 0;   // the size of the last block
  std::size_t kept_before_ = 0;  // bytes kept in the blocks before the last
  std::size_t held_ = 0;         // bytes of all the blocks
};

}  // namespace hisbridge::mapping
