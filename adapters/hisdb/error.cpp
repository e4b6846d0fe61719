#include "adapters/hisdb/error.hpp"

#include <string>

namespace hisbridge::hisdb {
namespace {

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "hisdb"; }

  std::string message(int ev) const override {
    switch (static_cast<HisDbError>(ev)) {
      case HisDbError::busy: return "HIS database busy: locked by another writer";
      case HisDbError::unavailable: return "HIS database unavailable";
      case HisDbError::invalid_record: return "record does not fit the HIS staging schema";
      case HisDbError::constraint: return "HIS database constraint violated";
      case HisDbError::storage:
        return "HIS database storage full or failing (disk space, write error, read-only); "
               "nothing was committed";
      case HisDbError::io: return "HIS database input/output failed; nothing was committed";
      case HisDbError::corrupt: return "HIS database damaged or not a HIS staging database";
      case HisDbError::bad_config: return "invalid HIS database location or connection string";
    }
    return "unknown hisdb error";
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

boost::system::error_code make_error_code(HisDbError e) noexcept {
  return {static_cast<int>(e), error_category()};
}

bool is_retryable(const boost::system::error_code& ec) noexcept {
  return ec == HisDbError::busy || ec == HisDbError::unavailable || ec == HisDbError::storage;
}

}  // namespace hisbridge::hisdb
