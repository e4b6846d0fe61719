#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "engine/simulate/arrivals.hpp"
#include "engine/simulate/hospital.hpp"
#include "engine/simulate/message_factory.hpp"
#include "engine/simulate/numbering.hpp"
#include "engine/simulate/outgoing.hpp"
#include "engine/simulate/random.hpp"
#include "engine/simulate/simulation_options.hpp"
#include "engine/simulate/visit_builder.hpp"

namespace hisbridge::simulate {

// What a run has made so far: messages as they are handed out, visits and orders as they are
// built (a visit's later messages may still be waiting, or fall after the span).
struct TrafficCounts {
  std::size_t messages = 0;
  std::size_t lis = 0;
  std::size_t ris = 0;
  std::size_t malformed = 0;
  std::array<std::size_t, kStepCount> by_step{};  // indexed by Step, malformed ones included
  std::size_t visits = 0;                         // registrations within the span
  std::size_t lab_orders = 0;
  std::size_t rad_orders = 0;
  std::size_t late_orders = 0;  // built late (their result may fall after the span)
  std::size_t skewed_finals = 0;

  std::size_t step(Step s) const { return by_step[static_cast<std::size_t>(s)]; }
};

// The messages of a simulated span, in the order of their simulated time, made as they are
// asked for: a day of visits is planned when the last one's registrations run out, each visit
// is built when its registration comes up, and its messages wait in a queue until every
// earlier message is out. Memory stays bounded by the visits still open, whatever the span.
//
// Reproducible: the same options give the same messages, byte for byte.
class TrafficGenerator {
 public:
  explicit TrafficGenerator(const SimulationOptions& options);

  // The next message, or nothing once every message before the end of the span is out.
  std::optional<Outgoing> next();

  const TrafficCounts& counts() const { return counts_; }
  const std::vector<Hospital>& hospitals() const { return hospitals_; }
  const std::string& run_tag() const { return numbering_.run_tag(); }
  SimTime end() const { return end_; }

  // Called with every visit built, before its messages are handed out (tests and reports).
  void on_visit(std::function<void(const Visit&)> observer) { observer_ = std::move(observer); }

 private:
  struct Later {
    bool operator()(const Outgoing& a, const Outgoing& b) const {
      return a.at != b.at ? a.at > b.at : a.sequence > b.sequence;
    }
  };

  void admit(const Arrival& arrival);
  void count(const Outgoing& message);

  SimulationOptions options_;
  SimTime end_;
  Random random_;
  std::vector<Hospital> hospitals_;
  Numbering numbering_;
  VisitBuilder builder_;
  MessageFactory factory_;
  SimTime next_day_;
  std::deque<Arrival> arrivals_;
  std::priority_queue<Outgoing, std::vector<Outgoing>, Later> pending_;
  std::uint64_t sequence_ = 0;
  TrafficCounts counts_;
  std::function<void(const Visit&)> observer_;
};

}  // namespace hisbridge::simulate
