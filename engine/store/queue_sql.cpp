#include "engine/store/queue_sql.hpp"

namespace hisbridge::store {

std::string due_deliveries_sql(char placeholder) {
  const std::string p(1, placeholder);
  return "SELECT " + std::string(kDeliveryColumns) +
         " FROM hisbridge_deliveries q WHERE q.queue = " + p + "1 AND q.state = 'pending'"
         " AND q.next_attempt_us <= " + p + "2 AND (q.order_key = '' OR NOT EXISTS ("
         "SELECT 1 FROM hisbridge_deliveries w WHERE w.queue = q.queue AND w.state = 'pending'"
         " AND w.order_key = q.order_key AND w.id < q.id AND w.next_attempt_us > " + p + "2))"
         " ORDER BY q.id LIMIT " + p + "3";
}

std::string queue_depths_sql() {
  return "WITH RECURSIVE names(queue) AS ("
         "SELECT min(queue) FROM hisbridge_deliveries UNION ALL "
         "SELECT (SELECT min(d.queue) FROM hisbridge_deliveries d WHERE d.queue > n.queue)"
         " FROM names n WHERE n.queue IS NOT NULL) "
         "SELECT n.queue,"
         " (SELECT count(*) FROM hisbridge_deliveries d WHERE d.queue = n.queue"
         " AND d.state = 'pending'),"
         " (SELECT count(*) FROM hisbridge_deliveries d WHERE d.queue = n.queue"
         " AND d.state = 'dead'),"
         " COALESCE((SELECT d.created_at_us FROM hisbridge_deliveries d WHERE d.queue = n.queue"
         " AND d.state = 'pending' ORDER BY d.id LIMIT 1), 0)"
         " FROM names n WHERE n.queue IS NOT NULL";
}

}  // namespace hisbridge::store
