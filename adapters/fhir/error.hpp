#pragma once

#include <boost/system/error_code.hpp>
#include <type_traits>

namespace hisbridge::fhir {

// Everything that can go wrong building a FHIR bundle or delivering one. Operating-system
// errors with no better name here (permission denied, disk full, ...) travel as the system's
// own error_code.
enum class Error {
  // Building a bundle from HIS records.
  missing_key = 1,  // a record lacks a key column (patient_id, order_no, ...), or an order the
                    // patient that its ServiceRequest must name
  invalid_time,     // a time column is not ISO 8601 with an offset, a date not YYYY-MM-DD
  // Writing a bundle to a folder.
  invalid_name,  // a file name that is empty, hidden, or names another folder
  // Posting a bundle to a FHIR server.
  bad_url,             // the base URL is not http(s)://host[:port][/path]
  resolve_failed,      // the host name does not resolve
  connection_refused,  // nothing listens at host:port
  timeout,             // connecting, or the whole exchange, took longer than allowed
  closed,              // the server closed or reset the connection before a complete answer
  tls_failed,          // the TLS handshake failed (certificate not trusted, no common version)
  bad_response,        // the answer is not HTTP/1.1 or is larger than the configured limit
};

const boost::system::error_category& error_category() noexcept;
boost::system::error_code make_error_code(Error e) noexcept;

}  // namespace hisbridge::fhir

namespace boost::system {
template <>
struct is_error_code_enum<hisbridge::fhir::Error> : std::true_type {};
}  // namespace boost::system
