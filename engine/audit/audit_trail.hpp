#pragma once

// Where an operator action is recorded: the journal's audit rows (GET /api/v1/audit) and the
// audit file (audit_file.hpp), both, before the action's answer is given.
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/audit/audit_file.hpp"
#include "engine/core/result.hpp"
#include "engine/store/replay.hpp"
#include "engine/store/store.hpp"

namespace hisbridge::audit {

// Every caller that records an operator action goes through one AuditTrail: the admin API
// (view-message, replays), `hisbridge replay`, the engine on a config reload. An action whose
// entry could not be written to both is refused when it has not happened yet (a message is
// not shown), or answered as a failure when it has (a replay that is done stays done).
class AuditTrail {
 public:
  // Writes one row to the journal, durably; called on the appending thread.
  using Journal = std::function<Result<void>(const store::NewAuditEntry&)>;

  // `journal` or `file` may be empty/null (then that side is skipped): tests and tools that
  // have only one of them. Thread-safe when `journal` is (the file is).
  AuditTrail(Journal journal, std::shared_ptr<AuditFile> file);

  // The journal side on `store`, which must outlive the trail and not be used by another
  // thread meanwhile (a Store takes calls from one thread at a time).
  static Journal journal_of(store::Store& store);

  // Writes `entry` to the journal and to the file. Both are tried whatever the other did, so
  // that each holds every action it can; the error names which failed and why.
  Result<void, std::string> append(const Entry& entry);
  // The same for an action taken on the engine's own host, "from": "local" (a config reload
  // on SIGHUP, say).
  Result<void, std::string> append(std::string actor, std::string action,
                                   nlohmann::ordered_json detail);

  // The file, null when there is none.
  const AuditFile* file() const { return file_.get(); }

 private:
  Journal journal_;
  std::shared_ptr<AuditFile> file_;
};

}  // namespace hisbridge::audit
