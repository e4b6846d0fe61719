#pragma once

#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "engine/timeline/timeline_store.hpp"

namespace hisbridge::testing_support {

// A TimelineStore that hands every call to a real one: a test overrides the calls it watches
// or makes fail, and the rest reach the real timeline.
class ForwardingTimeline : public timeline::TimelineStore {
 public:
  explicit ForwardingTimeline(std::unique_ptr<timeline::TimelineStore> inner)
      : inner_(std::move(inner)) {}

  Result<std::vector<timeline::RecordedInterval>> record(
      std::span<const timeline::Mark> marks) override {
    return inner_->record(marks);
  }
  Result<void> enqueue(std::span<const timeline::Mark> marks) override {
    return inner_->enqueue(marks);
  }
  Result<timeline::Drained> drain(std::size_t rows, std::size_t marks) override {
    return inner_->drain(rows, marks);
  }
  Result<std::vector<timeline::IntervalRow>> intervals(const timeline::IntervalQuery& q) override {
    return inner_->intervals(q);
  }
  Result<std::vector<timeline::OverdueItem>> overdue(const timeline::OverdueQuery& q) override {
    return inner_->overdue(q);
  }
  const std::vector<timeline::IntervalDefinition>& definitions() const override {
    return inner_->definitions();
  }

 private:
  std::unique_ptr<timeline::TimelineStore> inner_;
};

}  // namespace hisbridge::testing_support
