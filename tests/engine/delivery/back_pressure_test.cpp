// BackPressure with made-up queue depths: which source pauses when, the gap between the limit
// and the resume mark, and the monitor's own thread (its waits poll with a deadline).
#include "engine/delivery/back_pressure.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/wait_until.hpp"

namespace hisbridge::delivery {
namespace {

// The depths the test sets, and every pause and resume the monitor asks for, in order.
class Fixture {
 public:
  WatchedQueue queue(const std::string& source, const std::string& name, std::int64_t limit) {
    auto& depth = depths_[name];
    depth = std::make_unique<std::atomic<std::int64_t>>(0);
    return WatchedQueue{source, name, limit, [d = depth.get()] { return d->load(); }};
  }
  void set_depth(const std::string& name, std::int64_t depth) { depths_.at(name)->store(depth); }

  PauseSetter setter() {
    return [this](const std::string& source, bool paused, std::string_view reason) {
      const std::lock_guard lock(mutex_);
      calls_.push_back(source + (paused ? " paused: " : " resumed: ") + std::string(reason));
      paused_[source] = paused;
    };
  }
  bool paused(const std::string& source) const {
    const std::lock_guard lock(mutex_);
    const auto it = paused_.find(source);
    return it != paused_.end() && it->second;
  }
  std::vector<std::string> calls() const {
    const std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  std::map<std::string, std::unique_ptr<std::atomic<std::int64_t>>> depths_;
  mutable std::mutex mutex_;
  std::vector<std::string> calls_;
  std::map<std::string, bool> paused_;
};

TEST(BackPressureTest, PausesOverTheLimitAndResumesAtTheMark) {
  Fixture f;
  BackPressure monitor({f.queue("lis", "lab/his", 100)}, f.setter());
  EXPECT_EQ(monitor.resume_mark(100), 80);

  f.set_depth("lab/his", 100);  // at the limit is not over it
  monitor.check();
  EXPECT_FALSE(f.paused("lis"));

  f.set_depth("lab/his", 101);
  monitor.check();
  EXPECT_TRUE(f.paused("lis"));
  ASSERT_EQ(f.calls().size(), 1u);
  EXPECT_EQ(f.calls()[0],
            "lis paused: queue lab/his holds 101 entries, over its max_queue_depth 100");

  // Draining, but still above the mark: the source stays paused, and is not told again.
  for (const std::int64_t depth : {150, 99, 81}) {
    f.set_depth("lab/his", depth);
    monitor.check();
    EXPECT_TRUE(f.paused("lis")) << depth;
  }
  EXPECT_EQ(f.calls().size(), 1u);

  f.set_depth("lab/his", 80);
  monitor.check();
  EXPECT_FALSE(f.paused("lis"));
  ASSERT_EQ(f.calls().size(), 2u);
  EXPECT_EQ(f.calls()[1].rfind("lis resumed: ", 0), 0u) << f.calls()[1];

  // Growing again below the limit does not pause; past it does, once.
  f.set_depth("lab/his", 95);
  monitor.check();
  EXPECT_FALSE(f.paused("lis"));
  f.set_depth("lab/his", 500);
  monitor.check();
  monitor.check();
  EXPECT_TRUE(f.paused("lis"));
  EXPECT_EQ(f.calls().size(), 3u);
}

TEST(BackPressureTest, AnyQueueOfASourcePausesItAndAllMustDrainToResume) {
  Fixture f;
  BackPressure monitor({f.queue("lis", "lab/his", 10), f.queue("lis", "lab/fhir", 1000),
                        f.queue("ris", "imaging/his", 10)},
                       f.setter());
  f.set_depth("lab/fhir", 1001);
  monitor.check();
  EXPECT_TRUE(f.paused("lis"));
  EXPECT_FALSE(f.paused("ris"));

  // The other queue of the source grows past its own limit and the first one drains: still
  // paused, since lab/his is over its mark.
  f.set_depth("lab/his", 11);
  f.set_depth("lab/fhir", 0);
  monitor.check();
  EXPECT_TRUE(f.paused("lis"));

  f.set_depth("lab/his", 8);
  monitor.check();
  EXPECT_FALSE(f.paused("lis"));
  EXPECT_FALSE(f.paused("ris"));
  EXPECT_EQ(f.calls().size(), 2u);
}

TEST(BackPressureTest, SourcesPauseApart) {
  Fixture f;
  BackPressure monitor({f.queue("lis", "lab/his", 10), f.queue("ris", "imaging/his", 10)},
                       f.setter());
  f.set_depth("imaging/his", 20);
  monitor.check();
  EXPECT_FALSE(f.paused("lis"));
  EXPECT_TRUE(f.paused("ris"));
  f.set_depth("lab/his", 20);
  f.set_depth("imaging/his", 0);
  monitor.check();
  EXPECT_TRUE(f.paused("lis"));
  EXPECT_FALSE(f.paused("ris"));
}

TEST(BackPressureTest, TheResumeMarkFollowsTheOption) {
  Fixture f;
  BackPressureOptions options;
  options.resume_percent = 50;
  BackPressure monitor({f.queue("lis", "lab/his", 10)}, f.setter(), options);
  EXPECT_EQ(monitor.resume_mark(10), 5);
  EXPECT_EQ(monitor.resume_mark(1), 0);  // a limit of 1 resumes when the queue is empty
  f.set_depth("lab/his", 11);
  monitor.check();
  f.set_depth("lab/his", 6);
  monitor.check();
  EXPECT_TRUE(f.paused("lis"));
  f.set_depth("lab/his", 5);
  monitor.check();
  EXPECT_FALSE(f.paused("lis"));
}

TEST(BackPressureTest, ItsThreadPausesAndResumesUntilStopped) {
  Fixture f;
  BackPressureOptions options;
  options.interval = std::chrono::milliseconds(5);
  BackPressure monitor({f.queue("lis", "lab/his", 10)}, f.setter(), options);
  f.set_depth("lab/his", 50);  // deep before start: the first check pauses
  monitor.start();
  ASSERT_TRUE(testing_support::wait_until([&] { return f.paused("lis"); }));
  f.set_depth("lab/his", 0);
  ASSERT_TRUE(testing_support::wait_until([&] { return !f.paused("lis"); }));
  monitor.stop();
  monitor.stop();  // idempotent

  const std::size_t calls = f.calls().size();
  f.set_depth("lab/his", 50);
  monitor.check();  // a direct check still works after the thread is gone
  EXPECT_EQ(f.calls().size(), calls + 1);
}

TEST(BackPressureTest, WatchedQueuesFollowTheConfig) {
  config::Config config;
  config::ChannelConfig lab;
  lab.name = "lab";
  lab.source = "lis";
  config::DestinationConfig his;
  his.name = "his";
  his.max_queue_depth = 250;
  config::DestinationConfig fhir;
  fhir.name = "fhir";
  lab.destinations = {his, fhir};
  config.channels.push_back(lab);

  std::vector<std::string> asked;
  const auto queues = watched_queues(config, [&](const std::string& queue) {
    asked.push_back(queue);
    return queue == "lab/fhir" ? std::function<std::int64_t()>() : [] { return std::int64_t{7}; };
  });
  EXPECT_EQ(asked, (std::vector<std::string>{"lab/his", "lab/fhir"}));
  ASSERT_EQ(queues.size(), 1u);  // no depth for lab/fhir: left out
  EXPECT_EQ(queues[0].source, "lis");
  EXPECT_EQ(queues[0].queue, "lab/his");
  EXPECT_EQ(queues[0].limit, 250);
  EXPECT_EQ(queues[0].depth(), 7);
}

}  // namespace
}  // namespace hisbridge::delivery
