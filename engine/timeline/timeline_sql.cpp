#include "engine/timeline/timeline_sql.hpp"

#include <algorithm>
#include <tuple>

namespace hisbridge::timeline {
namespace {

class Builder {
 public:
  explicit Builder(char prefix) : prefix_(prefix) {}

  // Appends a placeholder for `value`.
  Builder& text(std::string value) {
    SqlParameter p;
    p.text = std::move(value);
    return add(std::move(p));
  }
  Builder& number(std::int64_t value) {
    SqlParameter p;
    p.is_number = true;
    p.number = value;
    return add(std::move(p));
  }
  Builder& sql(std::string_view s) {
    out_.sql.append(s);
    return *this;
  }
  BuiltSql done() { return std::move(out_); }

 private:
  Builder& add(SqlParameter p) {
    out_.parameters.push_back(std::move(p));
    out_.sql.append(1, prefix_).append(std::to_string(out_.parameters.size()));
    return *this;
  }

  char prefix_;
  BuiltSql out_;
};

// The target of the subject's priority in microseconds, NULL for a priority without one.
void target_expression(Builder& b, const IntervalDefinition& d) {
  const auto micros = [](std::chrono::seconds s) { return std::int64_t{s.count()} * 1'000'000; };
  const auto otherwise = d.targets.find(std::string_view());
  const bool per_priority = d.targets.size() > (otherwise != d.targets.end() ? 1u : 0u);
  if (per_priority) {
    b.sql("CASE s.priority");
    for (const auto& [priority, target] : d.targets) {
      if (!priority.empty()) {
        b.sql(" WHEN ").text(priority).sql(" THEN ").number(micros(target));
      }
    }
    b.sql(" ELSE ");
  }
  if (otherwise != d.targets.end()) {
    b.number(micros(otherwise->second));
  } else {
    b.sql("NULL");
  }
  if (per_priority) {
    b.sql(" END");
  }
}

}  // namespace

BuiltSql interval_query_sql(char prefix, const IntervalQuery& q) {
  Builder b(prefix);
  b.sql("SELECT duration_us, invalid, priority, department, service_code, modality"
        " FROM timeline_intervals WHERE interval_name = ")
      .text(q.interval)
      .sql(" AND to_us >= ")
      .number(q.from_us)
      .sql(" AND to_us < ")
      .number(q.to_us);
  for (const auto& [dimension, value] : q.filters) {
    // The column names are the dimensions' names.
    b.sql(" AND ").sql(to_string(dimension)).sql(" = ").text(value);
  }
  return b.done();
}

BuiltSql overdue_sql(char prefix, const IntervalDefinition& d, const OverdueQuery& q) {
  std::int64_t shortest = 0;
  for (const auto& [priority, target] : d.targets) {
    const std::int64_t us = std::int64_t{target.count()} * 1'000'000;
    shortest = shortest == 0 ? us : std::min(shortest, us);
  }
  Builder b(prefix);
  b.sql("SELECT subject, at_us, target_us, discipline, visit_id, patient_id, department,"
        " priority, service_code, modality FROM (SELECT m.subject, m.at_us, s.discipline,"
        " s.visit_id, s.patient_id, s.department, s.priority, s.service_code, s.modality, ");
  target_expression(b, d);
  b.sql(" AS target_us FROM timeline_marks AS m JOIN timeline_subjects AS s"
        " ON s.scope = m.scope AND s.subject = m.subject WHERE m.scope = ")
      .text(std::string(to_string(d.scope)))
      .sql(" AND m.kind = ")
      .text(d.from)
      .sql(" AND m.at_us >= ")
      .number(q.now_us - q.lookback_us)
      .sql(" AND m.at_us < ")
      .number(q.now_us - shortest);
  if (!d.discipline.empty()) {
    b.sql(" AND s.discipline = ").text(d.discipline);
  }
  b.sql(" AND NOT EXISTS (SELECT 1 FROM timeline_marks AS e WHERE e.scope = m.scope"
        " AND e.subject = m.subject AND e.kind IN (");
  for (std::size_t i = 0; i < d.to.size(); ++i) {
    b.sql(i == 0 ? "" : ", ").text(d.to[i]);
  }
  b.sql("))) AS c WHERE at_us < ")
      .number(q.now_us)
      .sql(" - target_us ORDER BY at_us, subject LIMIT ")
      .number(static_cast<std::int64_t>(q.limit));
  return b.done();
}

bool has_clock(const IntervalDefinition& d) {
  return d.scope != Scope::message && !d.targets.empty() && !d.from.empty() && !d.to.empty();
}

void sort_overdue(std::vector<OverdueItem>& items, std::size_t limit) {
  std::sort(items.begin(), items.end(), [](const OverdueItem& a, const OverdueItem& b) {
    return std::tie(a.from_us, a.interval, a.subject) < std::tie(b.from_us, b.interval, b.subject);
  });
  if (items.size() > limit) {
    items.resize(limit);
  }
}

}  // namespace hisbridge::timeline
