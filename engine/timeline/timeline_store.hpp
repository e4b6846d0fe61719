#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.hpp"
#include "engine/store/error.hpp"
#include "engine/timeline/interval_definition.hpp"

namespace hisbridge::timeline {

// What is known of an order or a visit beside its clock: the latest non-empty value the events
// gave for each field (a later message that leaves a field empty does not erase it).
struct SubjectInfo {
  std::string discipline;  // LAB or RAD
  std::string visit_id;
  std::string patient_id;
  std::string department;
  std::string priority;  // S or R
  std::string service_code;
  std::string modality;

  friend bool operator==(const SubjectInfo&, const SubjectInfo&) = default;
};

// One event on one subject's timeline, normalized from a mapping's ClinicalEvent (an event
// with an order number and a visit id makes two marks) or added by the engine (accepted,
// delivered). Times are microseconds since the Unix epoch (UTC).
struct Mark {
  Scope scope = Scope::order;
  std::string subject;  // order_no, visit_id or the message id in decimal
  std::string kind;
  std::int64_t at_us = 0;
  SubjectInfo info;
};

// An interval that a record() call completed (both ends known for the first time) or changed
// (an earlier end arrived late): what the turnaround histogram observes.
struct RecordedInterval {
  std::string interval;
  std::string subject;
  std::int64_t from_us = 0;
  std::int64_t to_us = 0;
  bool invalid = false;  // to < from
  bool first = true;     // false when the interval existed and an end moved
  SubjectInfo info;
};

// What one drain() did: inbox rows taken, the marks in them, rows that did not decode, and
// the intervals completed or changed (as record() returns them).
struct Drained {
  std::size_t rows = 0;
  std::size_t marks = 0;
  std::size_t unreadable = 0;
  std::vector<RecordedInterval> recorded;
  // Set when the intervals were recorded but the rows could not be taken out of an inbox kept
  // in another database (SQLite: the journal, its disk full). The rows are drained again
  // later, which changes nothing; the intervals above are recorded and must be counted now,
  // since that later drain finds them stored and returns none.
  std::optional<std::string> inbox_kept;
};

// The dimensions an interval query may filter on and group by (design.md).
enum class Dimension { department, service_code, modality, priority };
std::string_view to_string(Dimension dimension);
std::optional<Dimension> dimension_from_string(std::string_view text);

struct IntervalQuery {
  std::string interval;
  std::int64_t from_us = 0;  // to end >= from
  std::int64_t to_us = 0;    // to end < to
  // Every set filter narrows: (dimension, value) pairs, values compared exactly.
  std::vector<std::pair<Dimension, std::string>> filters;
};

// One stored interval as the statistics read it.
struct IntervalRow {
  std::int64_t duration_us = 0;  // to - from; negative for an invalid one
  bool invalid = false;
  std::string priority;
  std::string department;
  std::string service_code;
  std::string modality;

  const std::string& get(Dimension dimension) const;
};

struct OverdueQuery {
  std::int64_t now_us = 0;
  // Clocks started before now - lookback are not listed (an order that never got a result,
  // cancelled outside the HIS, would otherwise stay overdue for ever).
  std::int64_t lookback_us = 0;
  std::size_t limit = 500;
};

// A subject whose clock runs (from known, no to end yet) longer than its target.
struct OverdueItem {
  std::string interval;
  Scope scope = Scope::order;
  std::string subject;
  SubjectInfo info;
  std::int64_t from_us = 0;
  std::int64_t age_us = 0;     // now - from
  std::int64_t target_us = 0;  // the target of its priority
};

// Clinical events per order and visit, and the intervals computed from them, kept in the same
// database as the journal (SQLite or PostgreSQL) so that statistics survive a restart. Every
// implementation makes the same promises (one contract test suite runs against each):
// - record() is idempotent: recording the same marks again (a message processed twice after a
//   crash) changes nothing and reports nothing. An end is the earliest time seen for its kind,
//   so the order marks arrive in does not change an interval.
// - Calls on one object come from one thread at a time; open one per thread (the router's
//   writer, the admin API's reader).
class TimelineStore {
 public:
  virtual ~TimelineStore() = default;

  // Stores the marks in one transaction and computes, for every configured interval whose
  // ends they touch, the interval of that subject. Returns the intervals completed or changed.
  virtual Result<std::vector<RecordedInterval>> record(std::span<const Mark> marks) = 0;
  // Hands the marks to the inbox, in one row and one short transaction that is as durable as
  // the journal's status updates: drain() records them later, on any connection, also after a
  // restart. What the router does on its own thread, where record()'s work would slow ingest.
  virtual Result<void> enqueue(std::span<const Mark> marks) = 0;
  // Records the marks of the oldest inbox rows, at most `max_rows` of them and about
  // `max_marks` marks (always at least one row), and removes those rows, all in one
  // transaction: a crash either leaves the rows to record again or has recorded them.
  // A row that does not decode is removed, logged and counted (Drained::unreadable).
  virtual Result<Drained> drain(std::size_t max_rows, std::size_t max_marks) = 0;
  // Intervals of `query.interval` whose to end falls in [from, to), invalid ones included.
  virtual Result<std::vector<IntervalRow>> intervals(const IntervalQuery& query) = 0;
  // Running clocks over their target, oldest first, across every interval with targets.
  virtual Result<std::vector<OverdueItem>> overdue(const OverdueQuery& query) = 0;
  // The interval definitions the store computes (as given at open).
  virtual const std::vector<IntervalDefinition>& definitions() const = 0;
};

// Opens the timeline in the database `location` names (the journal's location: see
// store::open_store), creating its tables when missing.
Result<std::unique_ptr<TimelineStore>> open_timeline(std::string_view location,
                                                      std::vector<IntervalDefinition> definitions);

}  // namespace hisbridge::timeline
