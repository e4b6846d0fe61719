#pragma once

// What record() does, the same for every backend (timeline_store.hpp): the marks of one call
// folded per subject, merged into the stored subjects and marks, and every interval of a
// touched subject recomputed from what is stored and compared with its stored row. The
// backends only move rows, through RecordTables, in one transaction per call.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/result.hpp"
#include "engine/timeline/interval_definition.hpp"
#include "engine/timeline/timeline_store.hpp"

namespace hisbridge::timeline {

// An order or a visit the call's marks name, with its info.
struct SubjectUpdate {
  Scope scope = Scope::order;
  std::string subject;
  SubjectInfo info;
};

// The earliest time the call gives for one kind of event of one subject.
struct MarkUpdate {
  Scope scope = Scope::order;
  std::string subject;
  std::string kind;
  std::int64_t at_us = 0;
};

struct KindTime {
  std::string kind;
  std::int64_t at_us = 0;
};

struct IntervalKey {
  std::string interval;
  std::string subject;
};

// One row of the interval table; the info kept with it is the subject's discipline,
// priority, department, service code and modality.
struct IntervalRecord {
  std::string interval;
  std::string subject;
  std::int64_t from_us = 0;
  std::int64_t to_us = 0;
  SubjectInfo info;

  bool invalid() const { return to_us < from_us; }
  std::int64_t duration_us() const { return to_us - from_us; }
};

// One row of the inbox: the encoded marks of one enqueue() call.
struct InboxRow {
  std::int64_t id = 0;
  std::string marks;
};

// The tables as one backend reaches them. Every call but begin() runs inside the transaction
// begin() opened; any failure is logged where it happens and ends the call (rollback()).
class RecordTables {
 public:
  virtual ~RecordTables() = default;
  virtual Result<void> begin() = 0;
  virtual Result<void> commit() = 0;
  virtual void rollback() = 0;
  // Stores each subject's non-empty info fields over the stored ones (a new subject as
  // given) and sets `subjects[i].info` to what is stored now. Subjects are distinct.
  virtual Result<void> merge_subjects(std::vector<SubjectUpdate>& subjects) = 0;
  // Stores each mark unless its subject has an earlier one of that kind. Marks are distinct
  // by (scope, subject, kind).
  virtual Result<void> merge_marks(std::span<const MarkUpdate> marks) = 0;
  // Every stored mark of each subject: `out[i]` for `subjects[i]`.
  virtual Result<void> read_marks(std::span<const SubjectUpdate> subjects,
                                  std::vector<std::vector<KindTime>>& out) = 0;
  // The stored rows under `keys`, nullopt for none: `out[i]` for `keys[i]`.
  virtual Result<void> read_intervals(std::span<const IntervalKey> keys,
                                      std::vector<std::optional<IntervalRecord>>& out) = 0;
  // Inserts the rows, replacing stored ones with the same key.
  virtual Result<void> write_intervals(std::span<const IntervalRecord> rows) = 0;
  // The inbox (TimelineStore::enqueue/drain). insert_inbox runs on its own, outside begin().
  virtual Result<void> insert_inbox(std::string_view marks) = 0;
  // The oldest rows, at most `limit`, oldest first; other connections' drains skip them
  // until this transaction ends where the backend can (PostgreSQL: SKIP LOCKED).
  virtual Result<void> read_inbox(std::size_t limit, std::vector<InboxRow>& out) = 0;
  virtual Result<void> delete_inbox(std::span<const std::int64_t> ids) = 0;
  // After commit(): takes out the rows delete_inbox() named where the inbox lives in another
  // database than the tables (SQLite: the journal) and so cannot share their transaction.
  // A failure leaves the rows in the inbox and what was committed recorded.
  virtual Result<void> finish_drain() { return {}; }
};

// The TimelineStore::enqueue() contract: the marks encoded (mark_codec.hpp) into `scratch`, one row.
Result<void> enqueue_marks(RecordTables& tables, std::span<const Mark> marks,
                           std::string& scratch);

// The TimelineStore::drain() contract over `tables`.
Result<Drained> drain_inbox(RecordTables& tables,
                            const std::vector<IntervalDefinition>& definitions,
                            std::size_t max_rows, std::size_t max_marks);

// The TimelineStore::record() contract over `tables`.
Result<std::vector<RecordedInterval>> record_marks(RecordTables& tables,
                                                   const std::vector<IntervalDefinition>& definitions,
                                                   std::span<const Mark> marks);

}  // namespace hisbridge::timeline
