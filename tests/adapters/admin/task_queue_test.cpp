#include "adapters/admin/task_queue.hpp"

#include <gtest/gtest.h>

#include <future>
#include <vector>

namespace hisbridge::admin {
namespace {

TEST(TaskQueueTest, RunsTasksInOrderOnItsThread) {
  TaskQueue q(16);
  std::vector<int> order;
  std::promise<void> done;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(q.post([&order, i] { order.push_back(i); }));
  }
  ASSERT_TRUE(q.post([&done] { done.set_value(); }));
  done.get_future().wait();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(TaskQueueTest, RefusesBeyondItsBoundAndAfterStop) {
  TaskQueue q(2);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(q.post([&started, released] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();  // the first one runs and holds the thread
  EXPECT_TRUE(q.post([] {}));
  EXPECT_TRUE(q.post([] {}));
  EXPECT_FALSE(q.post([] {}));  // two wait already
  release.set_value();
  q.stop();
  EXPECT_FALSE(q.post([] {}));
}

}  // namespace
}  // namespace hisbridge::admin
