#pragma once

// The SQL of replay and the audit log that SqliteStore and PostgresStore share, so a selection
// means the same on both: only the placeholder syntax differs (`?` for SQLite, `$` for
// PostgreSQL).
#include <string>
#include <string_view>

namespace hisbridge::store {

// Parameters: 1 source, 2 from (us), 3 to (us), 4 after id, 5 limit. Columns: id,
// received_at_us. The next messages of a reprocess_range() step, in (received_at_us, id) order
// along the received_at index (which ends in the id on SQLite): those received at exactly
// `from` only above `after id`, so a step resumes where the previous one stopped and never
// walks the range from its start again.
std::string range_step_sql(char placeholder);

// Parameters: 1 source, 2 from (us), 3 to (us). The messages reprocess_range() would take.
std::string count_reprocessable_sql(char placeholder);

// Parameters: 1 queue, 2 after id, 3 limit. Columns: id, message_id. The next dead entries of a
// queue in id order, along the (queue, state, id) index.
std::string dead_step_sql(char placeholder);

// The columns every audit read selects, in the order the readers expect.
inline constexpr std::string_view kAuditColumns = "id, at_us, actor, action, detail";

// Parameters: 1 limit. The newest rows of the audit log first.
std::string audit_sql(char placeholder);

}  // namespace hisbridge::store
