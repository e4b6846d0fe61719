#pragma once

#include <boost/system/error_code.hpp>

namespace hisbridge::store {

// What a store call can fail with; the driver's own message is logged where it happens.
enum class StoreError {
  busy = 1,     // locked by another writer longer than the busy timeout: retry later
  constraint,   // a constraint refused the row (a bug, or a second writer on the same ids)
  io,           // the disk or the connection failed: nothing in this call was committed
  corrupt,      // the database file is damaged or is not a hisbridge store
  unavailable,  // cannot connect / open (yet): retry later
  not_found,    // no message with that id
  bad_config,   // the store location or connection string is invalid
};

const boost::system::error_category& store_category() noexcept;
boost::system::error_code make_error_code(StoreError e) noexcept;

}  // namespace hisbridge::store

namespace boost::system {
template <>
struct is_error_code_enum<hisbridge::store::StoreError> : std::true_type {};
}  // namespace boost::system
