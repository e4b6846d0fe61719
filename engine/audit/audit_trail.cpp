#include "engine/audit/audit_trail.hpp"

namespace hisbridge::audit {

using nlohmann::ordered_json;

AuditTrail::AuditTrail(Journal journal, std::shared_ptr<AuditFile> file)
    : journal_(std::move(journal)), file_(std::move(file)) {}

AuditTrail::Journal AuditTrail::journal_of(store::Store& store) {
  return [&store](const store::NewAuditEntry& row) { return store.append_audit(row); };
}

Result<void, std::string> AuditTrail::append(const Entry& entry) {
  std::string errors;
  if (journal_) {
    const ordered_json detail = entry.detail.is_null() ? ordered_json::object() : entry.detail;
    const auto written = journal_(
        {entry.actor, entry.action, detail.dump(-1, ' ', false, ordered_json::error_handler_t::replace)});
    if (!written) {
      errors = "journal audit row: " + written.error().message();
    }
  }
  if (file_) {
    if (auto written = file_->append(entry); !written) {
      errors += (errors.empty() ? "" : "; ") + written.error();
    }
  }
  if (!errors.empty()) {
    return {boost::system::in_place_error, std::move(errors)};
  }
  return {};
}

Result<void, std::string> AuditTrail::append(std::string actor, std::string action,
                                             ordered_json detail) {
  return append(Entry{std::move(actor), "local", std::move(action), std::move(detail)});
}

}  // namespace hisbridge::audit
