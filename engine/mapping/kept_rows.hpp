#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <utility>
#include <vector>

namespace hisbridge::mapping {

// A sequence that keeps the elements past its size instead of destroying them: a mapping's
// output is filled again for every message, and the records and events a message leaves over
// keep their strings for the next one, in place (a vector would destroy them, or move them
// out and back, each time two messages differ in their number of rows).
// Reads like a vector of its first size() elements, and is a contiguous range: writers take it
// as a std::span.
template <class T>
class KeptRows {
 public:
  KeptRows() = default;
  KeptRows(std::initializer_list<T> items) : items_(items), size_(items_.size()) {}
  // A copy holds the elements, not what is kept past them.
  KeptRows(const KeptRows& other) : items_(other.begin(), other.end()), size_(other.size_) {}
  KeptRows(KeptRows&& other) noexcept
      : items_(std::move(other.items_)), size_(std::exchange(other.size_, 0)) {
    other.items_.clear();
  }
  KeptRows& operator=(const KeptRows& other) {
    if (this != &other) {
      assign(other.begin(), other.end());
    }
    return *this;
  }
  KeptRows& operator=(KeptRows&& other) noexcept {
    if (this != &other) {
      items_ = std::move(other.items_);
      size_ = std::exchange(other.size_, 0);
      other.items_.clear();
    }
    return *this;
  }
  KeptRows& operator=(std::initializer_list<T> items) {
    assign(items.begin(), items.end());
    return *this;
  }
  ~KeptRows() = default;

  T* begin() { return items_.data(); }
  T* end() { return items_.data() + size_; }
  const T* begin() const { return items_.data(); }
  const T* end() const { return items_.data() + size_; }
  T* data() { return items_.data(); }
  const T* data() const { return items_.data(); }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](std::size_t i) { return items_[i]; }
  const T& operator[](std::size_t i) const { return items_[i]; }
  const T& at(std::size_t i) const {
    if (i >= size_) {
      throw std::out_of_range("KeptRows::at");
    }
    return items_[i];
  }
  T& front() { return items_[0]; }
  const T& front() const { return items_[0]; }
  T& back() { return items_[size_ - 1]; }
  const T& back() const { return items_[size_ - 1]; }

  // Empty; the elements are kept for slot().
  void clear() { size_ = 0; }
  void push_back(T item) { emplace_back(std::move(item)); }
  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (size_ < items_.size()) {
      items_[size_] = T(std::forward<Args>(args)...);
    } else {
      items_.emplace_back(std::forward<Args>(args)...);
    }
    return items_[size_++];
  }

  // For a writer that overwrites elements in place: element `i` (at most size() past the ones
  // stored) as it was left, default-made when there was none. Not counted until set_size().
  T& slot(std::size_t i) {
    if (i == items_.size()) [[unlikely]] {
      grow();
    }
    return items_[i];
  }
  // The first `n` stored elements are the sequence; of those after them, `keep` at most are
  // kept (a message with many rows does not hold its memory for good).
  void set_size(std::size_t n, std::size_t keep) {
    size_ = n;
    if (items_.size() > n + keep) {
      items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(n + keep), items_.end());
    }
  }

  friend bool operator==(const KeptRows& a, const KeptRows& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  // Out of line: a writer takes a slot per row, and after the first messages there is one.
  [[gnu::noinline]] void grow() { items_.emplace_back(); }

  template <class It>
  void assign(It first, It last) {
    size_ = 0;
    for (; first != last; ++first) {
      emplace_back(*first);
    }
  }

  std::vector<T> items_;
  std::size_t size_ = 0;
};

}  // namespace hisbridge::mapping
