#include "engine/simulate/traffic_generator.hpp"

#include <algorithm>

#include "engine/simulate/malformed.hpp"

namespace hisbridge::simulate {

TrafficGenerator::TrafficGenerator(const SimulationOptions& options)
    : options_(options),
      end_(options.start + options.duration),
      random_(options.seed),
      hospitals_(make_hospitals(options.hospitals)),
      numbering_(options.seed, options.offset),
      builder_(random_, numbering_, options_),
      factory_(numbering_, options.offset),
      next_day_(local_midnight(options.start, options.offset)) {}

std::optional<Outgoing> TrafficGenerator::next() {
  for (;;) {
    if (arrivals_.empty() && next_day_ < end_) {
      for (const Arrival& a :
           day_arrivals(random_, hospitals_, next_day_, options_.patients_per_day)) {
        if (a.at >= options_.start && a.at < end_) {
          arrivals_.push_back(a);
        }
      }
      next_day_ += kDay;
      continue;
    }
    // A visit's messages all come at or after its registration, so once the next
    // registration is later than the queue's first message, that message is the next one.
    if (!arrivals_.empty() && (pending_.empty() || arrivals_.front().at <= pending_.top().at)) {
      admit(arrivals_.front());
      arrivals_.pop_front();
      continue;
    }
    break;
  }
  if (pending_.empty()) {
    return std::nullopt;
  }
  Outgoing message = pending_.top();
  pending_.pop();
  count(message);
  return message;
}

void TrafficGenerator::admit(const Arrival& arrival) {
  const Visit visit = builder_.build(*arrival.hospital, *arrival.department, arrival.at);
  ++counts_.visits;
  counts_.lab_orders += visit.labs.size();
  counts_.rad_orders += visit.rads.size();
  for (const LabOrder& o : visit.labs) {
    counts_.late_orders += o.late ? 1 : 0;
  }
  for (const RadOrder& o : visit.rads) {
    counts_.late_orders += o.late ? 1 : 0;
  }
  if (observer_) {
    observer_(visit);
  }
  for (Outgoing& message : factory_.visit_messages(visit)) {
    // Drawn for every message, kept or not, so the span's end never shifts the draws.
    if (random_.chance(options_.malformed_rate)) {
      const Malformation kind = pick_malformation(random_);
      message.bytes = malform(message.bytes, kind);
      message.malformed = true;
      message.malformed_kind = std::string(malformation_name(kind));
    }
    if (message.at >= end_) {
      continue;
    }
    if (message.step == Step::lab_final) {
      counts_.skewed_finals += static_cast<std::size_t>(std::count_if(
          visit.labs.begin(), visit.labs.end(),
          [&](const LabOrder& o) { return o.order_no == message.order_no && o.skewed; }));
    }
    message.sequence = sequence_++;
    pending_.push(std::move(message));
  }
}

void TrafficGenerator::count(const Outgoing& message) {
  ++counts_.messages;
  ++(message.destination == Destination::lis ? counts_.lis : counts_.ris);
  counts_.malformed += message.malformed ? 1 : 0;
  ++counts_.by_step[static_cast<std::size_t>(message.step)];
}

}  // namespace hisbridge::simulate
