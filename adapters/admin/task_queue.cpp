#include "adapters/admin/task_queue.hpp"

#include <pthread.h>

namespace hisbridge::admin {

TaskQueue::TaskQueue(std::size_t max_pending)
    : max_pending_(max_pending), thread_([this] { run(); }) {}

TaskQueue::~TaskQueue() { stop(); }

bool TaskQueue::post(std::function<void()> task) {
  {
    const std::lock_guard lock(mutex_);
    if (stopping_ || tasks_.size() >= max_pending_) {
      return false;
    }
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

void TaskQueue::stop() {
  std::deque<std::function<void()>> dropped;
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(tasks_);
  }
  wake_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void TaskQueue::run() {
  pthread_setname_np(pthread_self(), "hb-admin");  // for top -H
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (stopping_) {
        return;
      }
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace hisbridge::admin
