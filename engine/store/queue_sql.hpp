#pragma once

// The SQL of the destination queues that SqliteStore and PostgresStore share, so that the
// order rule means the same on both: only the placeholder syntax differs (`?` for SQLite,
// `$` for PostgreSQL).
#include <string>
#include <string_view>

namespace hisbridge::store {

// The columns every queue entry read selects, in the order the readers expect.
inline constexpr std::string_view kDeliveryColumns =
    "id, message_id, queue, order_key, state, attempts, next_attempt_us, last_error, "
    "created_at_us, updated_at_us";

// Parameters: 1 queue, 2 now (us), 3 limit. Due entries, oldest first, but none behind an
// earlier pending entry of its order key that is not due yet (waiting out a retry): the walk
// follows the queue's pending entries in id order and looks each key up in the order index.
std::string due_deliveries_sql(char placeholder);

// No parameters. Per queue that has entries: queue, pending, dead, the created_at_us of the
// oldest pending entry (0 when none). The queue names come from a walk over the index that
// leads with the queue (one step per queue, not one per entry), the counts from its
// (queue, state) ranges, so the delivered entries that make up most of the table are never
// read.
std::string queue_depths_sql();

}  // namespace hisbridge::store
