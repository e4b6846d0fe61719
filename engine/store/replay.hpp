#pragma once

// What a replay asks of the journal (Store::reprocess, reprocess_range, requeue_dead) and the
// audit log every replay writes a row to (Store::append_audit, audit).
#include <cstddef>
#include <cstdint>
#include <string>

namespace hisbridge::store {

// The messages of one source received in [from_us, to_us), for Store::reprocess_range().
struct ReprocessRange {
  std::string source;
  std::int64_t from_us = 0;
  std::int64_t to_us = 0;
};

// One step of a replay that walks its selection in id order, a short transaction per step, so
// that a large selection never holds the journal's write lock long. The caller passes
// `last_id` back as the next step's `after_id` (and for a range `last_at_us` as its `from_us`)
// until it is 0.
struct ReplayBatch {
  std::size_t changed = 0;      // messages set back to `received`, or entries made pending again
  std::int64_t last_id = 0;     // the last id this step looked at; 0: nothing was left
  std::int64_t last_at_us = 0;  // reprocess_range(): when the message `last_id` was received
};

// A row of the audit log: who did what to which messages, and how many it touched.
struct NewAuditEntry {
  std::string actor;   // the OS user of the CLI, or the API's peer address and named actor
  std::string action;  // what was done, e.g. "reprocess-messages"
  std::string detail;  // the selection and the counts, as one JSON object
};

struct AuditEntry {
  std::int64_t id = 0;
  std::int64_t at_us = 0;  // when it was written, microseconds since the epoch (UTC)
  std::string actor;
  std::string action;
  std::string detail;
};

}  // namespace hisbridge::store
