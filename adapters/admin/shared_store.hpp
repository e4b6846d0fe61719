#pragma once

#include <memory>
#include <mutex>
#include <utility>

#include "engine/store/store.hpp"

namespace hisbridge::admin {

// The admin side's own connection to the journal (a reader: Store allows one for the admin
// API beside the writer), shared by the API and the metrics collectors. A Store takes calls
// from one thread at a time; with() serializes them.
class SharedStore {
 public:
  explicit SharedStore(std::unique_ptr<store::Store> store) : store_(std::move(store)) {}

  // Runs `f(store)` under the lock and returns what it returns.
  template <class F>
  auto with(F&& f) {
    const std::lock_guard lock(mutex_);
    return std::forward<F>(f)(*store_);
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<store::Store> store_;
};

}  // namespace hisbridge::admin
