#pragma once

#include <type_traits>

#include <boost/system/error_code.hpp>

namespace hisbridge::hisdb {

// What writing to the HIS staging database can fail with. The driver's own message is logged
// where the failure happens; a failed write() has committed nothing.
enum class HisDbError {
  busy = 1,        // another writer held a lock longer than the busy / lock timeout: retry
  unavailable,     // cannot open the database, or the connection was lost: retry
  invalid_record,  // unknown table or column, missing key value, a column the writer owns:
                   // the same records fail the same way again, so never retry
  constraint,      // the database refused the row (a constraint of a site's own schema)
  storage,         // the disk is full, failed a write, or went read-only; the server is out of
                   // disk space or memory: the same records go in once an operator has made
                   // room, so retry
  io,              // the disk or the server failed otherwise
  corrupt,         // the file is damaged, is some other database, or has a newer schema
  bad_config,      // the location or connection string is invalid
};

const boost::system::error_category& error_category() noexcept;
boost::system::error_code make_error_code(HisDbError e) noexcept;

// True for the errors that a later attempt with the same records may not meet (busy,
// unavailable, storage): a delivery queue retries those with back-off and dead-letters the
// others.
bool is_retryable(const boost::system::error_code& ec) noexcept;

}  // namespace hisbridge::hisdb

namespace boost::system {
template <>
struct is_error_code_enum<hisbridge::hisdb::HisDbError> : std::true_type {};
}  // namespace boost::system
