#pragma once

// Replay: stored messages sent back through processing, and dead letters back to their queue,
// the way `hisbridge replay` and the admin API both do it (docs/operator-guide.md, "Replay").
//
// - By id: a message that is `processed` or `error` is set back to `received` (its error text
//   cleared); the router processes it again with the channels' filters and mappings as they
//   are now and queues it anew for each destination (not where a pending entry still waits).
//   A `received` message is already waiting: nothing to do. A `rejected` message was never
//   readable and a `duplicate` is a copy of one that was processed: both are refused.
// - By range: the same for every `processed` or `error` message of a channel's source
//   received in [from, to): every channel of that source sees them again.
// - Dead letters of a destination: its dead entries become pending, due at once, with no
//   attempts counted; a message delivered that way arrives after later results of the same
//   patient (ADR 0004).
//
// Everything runs in steps of kStep (one short transaction each, so a large selection never
// holds the journal's write lock long) on the caller's Store, which may be the engine's
// admin connection or, from the CLI, a connection of its own while the engine runs: the
// router reads every source again once a second and the delivery workers poll their queues as
// often, so a running engine picks the work up within about a second.
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/audit/audit_trail.hpp"
#include "engine/core/result.hpp"
#include "engine/store/store.hpp"

namespace hisbridge::replay {

inline constexpr std::size_t kStep = 500;

// The actions the audit log names.
inline constexpr std::string_view kReprocessMessages = "reprocess-messages";
inline constexpr std::string_view kReprocessRange = "reprocess-range";
inline constexpr std::string_view kRequeueDeadLetters = "requeue-dead-letters";

// Called after each step with how far the replay is: `done` of about `total` (a range that
// grows while it is walked may pass its count).
using Progress = std::function<void(std::size_t done, std::size_t total)>;

// What a replay did. When a step failed, `error` says why; the steps before it stay done and
// `changed` counts them.
struct Outcome {
  std::size_t changed = 0;  // messages set back to `received`, or entries made pending
  boost::system::error_code error;
};

// What became of one message asked for by id.
enum class Verdict { sent_back, already_received, refused, not_found };
std::string_view to_string(Verdict verdict);

struct MessageResult {
  std::int64_t id = 0;
  Verdict verdict = Verdict::not_found;
  store::MessageStatus status = store::MessageStatus::received;  // before the replay
  std::string reason;  // for every verdict but sent_back, in words
  std::string source;  // the message's source (the router's to rewind); empty when not found
};

// Whether `message` may go back to processing, and if not, why.
MessageResult judge(const store::StoredMessage& message);

struct MessagesOutcome : Outcome {
  std::vector<MessageResult> messages;  // one per id asked for, in that order
};

MessagesOutcome reprocess_messages(store::Store& store, std::span<const std::int64_t> ids,
                                   const Progress& progress = {});
// `range.source` is the channel's source (selection.hpp).
Outcome reprocess_range(store::Store& store, store::ReprocessRange range,
                        const Progress& progress = {});
// `queue` is "<channel>/<destination>" (selection.hpp).
Outcome requeue_dead_letters(store::Store& store, std::string_view queue,
                             const Progress& progress = {});

// The audit detail of a replay by id: {"via", "messages": [the first 100 ids], "asked",
// "sent_back", "already_received", "refused", "not_found"}.
nlohmann::ordered_json describe(const MessagesOutcome& outcome, std::string_view via);

// Records a replay on `trail` (the journal's audit rows and the audit file): `entry` names
// who, from where, the action and the selection (its detail, as the caller names it), to which
// the outcome is added as "changed" and, when a step failed, "error". Both sides are tried;
// the error names the one that failed.
Result<void, std::string> write_audit(audit::AuditTrail& trail, audit::Entry entry,
                                      const Outcome& outcome);

}  // namespace hisbridge::replay
