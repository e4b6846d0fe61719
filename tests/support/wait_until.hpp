#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace hisbridge::testing_support {

// Polls `done` until it holds or `timeout` passes: what tests use instead of sleeping for what
// happens on other threads. The timeout guards against a hang; it measures nothing.
inline bool wait_until(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace hisbridge::testing_support
