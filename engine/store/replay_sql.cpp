#include "engine/store/replay_sql.hpp"

namespace hisbridge::store {
namespace {

// Statuses a replay sends back to processing: `rejected` messages were never readable and a
// `duplicate` is a copy of one already processed.
constexpr std::string_view kReplayable = " AND status IN ('processed', 'error')";

}  // namespace

std::string range_step_sql(char placeholder) {
  const std::string p(1, placeholder);
  return "SELECT id, received_at_us FROM hisbridge_messages WHERE source = " + p +
         "1 AND received_at_us >= " + p + "2 AND received_at_us < " + p +
         "3 AND (received_at_us > " + p + "2 OR id > " + p + "4)" + std::string(kReplayable) +
         " ORDER BY received_at_us, id LIMIT " + p + "5";
}

std::string count_reprocessable_sql(char placeholder) {
  const std::string p(1, placeholder);
  return "SELECT count(*) FROM hisbridge_messages WHERE source = " + p +
         "1 AND received_at_us >= " + p + "2 AND received_at_us < " + p + "3" +
         std::string(kReplayable);
}

std::string dead_step_sql(char placeholder) {
  const std::string p(1, placeholder);
  return "SELECT id, message_id FROM hisbridge_deliveries WHERE queue = " + p +
         "1 AND state = 'dead' AND id > " + p + "2 ORDER BY id LIMIT " + p + "3";
}

std::string audit_sql(char placeholder) {
  return "SELECT " + std::string(kAuditColumns) + " FROM hisbridge_audit ORDER BY id DESC LIMIT " +
         std::string(1, placeholder) + "1";
}

}  // namespace hisbridge::store
