#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace hisbridge::admin {

// One thread that runs tasks in order: where the admin API does what may block (journal
// queries, scrapes), so that the HTTP connections' strands, shared with the inbound adapters,
// never wait on the database.
class TaskQueue {
 public:
  // At most `max_pending` tasks wait; post() refuses more (the caller answers 503).
  explicit TaskQueue(std::size_t max_pending);
  // stop().
  ~TaskQueue();
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  // Thread-safe. False when the queue is full or stopped: the task is not run.
  bool post(std::function<void()> task);
  // The task under way finishes, waiting ones are dropped (destroyed unrun), the thread is
  // joined. Idempotent; not from a task.
  void stop();

 private:
  void run();

  const std::size_t max_pending_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;  // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_
  std::thread thread_;                       // last: it starts once the rest exists
};

}  // namespace hisbridge::admin
