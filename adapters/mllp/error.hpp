#pragma once

#include <type_traits>

#include <boost/system/error_code.hpp>

namespace hisbridge::mllp {

// Everything that can go wrong with MLLP framing or an MLLP exchange. Errors of the operating
// system that have no better name here (host unreachable, permission denied, ...) travel as
// the system's own error_code.
enum class Error {
  frame_too_large = 1,  // a frame longer than the configured max_frame_bytes
  forbidden_byte,       // a message to send holds 0x0B or 0x1C, which MLLP cannot carry
  resolve_failed,       // the host name does not resolve
  connection_refused,   // nothing listens at host:port
  timeout,              // no complete ACK within the timeout (connecting included)
  closed_before_ack,    // the peer closed or reset the connection before a complete ACK
  not_an_ack,           // what came back is not an HL7 ACK (no MSA, no known MSA-1 code)
  tls_failed,           // the TLS handshake (or the TLS stream) failed: the client says why
};

const boost::system::error_category& error_category() noexcept;
boost::system::error_code make_error_code(Error e) noexcept;

// The HL7 table 0357 code an AR/CR answer to a framing problem carries in ERR-3. Only
// `frame_too_large` is ever answered; the network errors map to 207 (application internal
// error) for completeness.
int hl7_error_code(Error e) noexcept;

}  // namespace hisbridge::mllp

namespace boost::system {
template <>
struct is_error_code_enum<hisbridge::mllp::Error> : std::true_type {};
}  // namespace boost::system
