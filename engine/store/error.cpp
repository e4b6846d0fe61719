#include "engine/store/error.hpp"

#include <string>

namespace hisbridge::store {
namespace {

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "store"; }

  std::string message(int ev) const override {
    switch (static_cast<StoreError>(ev)) {
      case StoreError::busy: return "store busy: locked by another writer";
      case StoreError::constraint: return "store constraint violated";
      case StoreError::io: return "store input/output failed; nothing was committed";
      case StoreError::corrupt: return "store damaged or not a hisbridge store";
      case StoreError::unavailable: return "store unavailable";
      case StoreError::not_found: return "no stored message with that id";
      case StoreError::bad_config: return "invalid store location or connection string";
    }
    return "unknown store error";
  }
};

}  // namespace

const boost::system::error_category& store_category() noexcept {
  static const Category category;
  return category;
}

boost::system::error_code make_error_code(StoreError e) noexcept {
  return {static_cast<int>(e), store_category()};
}

}  // namespace hisbridge::store
