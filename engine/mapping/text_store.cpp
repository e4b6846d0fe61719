#include "engine/mapping/text_store.hpp"

#include <algorithm>
#include <utility>

namespace hisbridge::mapping {
namespace {

// A message of a few kilobytes and its texts fit in the first block.
constexpr std::size_t kFirstBlock = 8192;

}  // namespace

TextStore::TextStore(TextStore&& other) noexcept
    : blocks_(std::move(other.blocks_)),
      next_(std::exchange(other.next_, nullptr)),
      left_(std::exchange(other.left_, 0)),
      block_size_(std::exchange(other.block_size_, 0)),
      kept_before_(std::exchange(other.kept_before_, 0)),
      held_(std::exchange(other.held_, 0)) {
  other.blocks_.clear();
}

TextStore& TextStore::operator=(TextStore&& other) noexcept {
  if (this != &other) {
    blocks_ = std::move(other.blocks_);
    other.blocks_.clear();
    next_ = std::exchange(other.next_, nullptr);
    left_ = std::exchange(other.left_, 0);
    block_size_ = std::exchange(other.block_size_, 0);
    kept_before_ = std::exchange(other.kept_before_, 0);
    held_ = std::exchange(other.held_, 0);
  }
  return *this;
}

void TextStore::grow(std::size_t n) {
  kept_before_ += block_size_ - left_;
  block_size_ = std::max({kFirstBlock, n, 2 * block_size_});
  blocks_.push_back(std::make_unique_for_overwrite<char[]>(block_size_));
  held_ += block_size_;
  next_ = blocks_.back().get();
  left_ = block_size_;
}

void TextStore::clear() {
  if (blocks_.size() > 1 || block_size_ > kMaxKeptBlock) {
    // One block for all that the last message needed, so that the next one like it needs no
    // other: the earlier blocks go; all of them after a huge message.
    const std::size_t needed = used();
    blocks_.clear();
    next_ = nullptr;
    block_size_ = 0;
    kept_before_ = 0;
    left_ = 0;
    held_ = 0;
    if (needed <= kMaxKeptBlock) {
      grow(needed);
    }
    return;
  }
  kept_before_ = 0;
  if (!blocks_.empty()) {
    next_ = blocks_.front().get();
    left_ = block_size_;
  }
}

}  // namespace hisbridge::mapping
