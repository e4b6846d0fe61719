#include "engine/timeline/interval_definition.hpp"

#include <algorithm>

namespace hisbridge::timeline {
namespace {

using std::chrono::minutes;

IntervalDefinition order_interval(std::string name, std::string from, std::string to,
                                  std::string discipline) {
  IntervalDefinition d;
  d.name = std::move(name);
  d.scope = Scope::order;
  d.from = std::move(from);
  d.to = {std::move(to)};
  d.discipline = std::move(discipline);
  return d;
}

}  // namespace

std::string_view to_string(Scope scope) {
  switch (scope) {
    case Scope::order: return "order";
    case Scope::visit: return "visit";
    case Scope::message: return "message";
  }
  return "order";
}

std::optional<Scope> scope_from_string(std::string_view text) {
  for (const Scope s : {Scope::order, Scope::visit, Scope::message}) {
    if (text == to_string(s)) {
      return s;
    }
  }
  return std::nullopt;
}

std::optional<std::chrono::seconds> IntervalDefinition::target_for(
    std::string_view priority) const {
  if (auto it = targets.find(priority); it != targets.end()) {
    return it->second;
  }
  if (auto it = targets.find(std::string_view()); it != targets.end()) {
    return it->second;
  }
  return std::nullopt;
}

bool IntervalDefinition::ends_with(std::string_view kind) const {
  return std::find(to.begin(), to.end(), kind) != to.end();
}

// stock-mapping.md, "Turnaround intervals": the names, ends and targets sites and the
// acceptance checks rely on. `final` is the first final result or report: a corrected one
// (`corrected`) is another kind and never moves the clock.
std::vector<IntervalDefinition> default_intervals() {
  std::vector<IntervalDefinition> out;
  out.push_back(order_interval("lab_order_to_final", "ordered", "final", "LAB"));
  out.back().targets = {{"S", minutes(60)}, {"R", minutes(240)}};
  out.push_back(order_interval("lab_receipt_to_final", "received", "final", "LAB"));
  out.push_back(order_interval("lab_collect_to_receipt", "collected", "received", "LAB"));
  out.push_back(order_interval("rad_order_to_report", "ordered", "final", "RAD"));
  out.push_back(order_interval("rad_exam_to_report", "completed", "final", "RAD"));
  out.back().targets = {{"S", minutes(60)}, {"R", minutes(1440)}};

  IntervalDefinition wait;
  wait.name = "patient_wait_to_service";
  wait.scope = Scope::visit;
  wait.from = "registered";
  wait.to = {"collected", "started"};
  wait.targets = {{"", minutes(30)}};
  out.push_back(std::move(wait));

  IntervalDefinition delivery;
  delivery.name = "delivery_latency";
  delivery.scope = Scope::message;
  delivery.from = std::string(kAccepted);
  delivery.to = {std::string(kDelivered)};
  out.push_back(std::move(delivery));
  return out;
}

}  // namespace hisbridge::timeline
