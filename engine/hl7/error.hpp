#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

namespace hisbridge::hl7 {

// Everything that can be wrong with HL7 input that hisbridge reads. Each value maps to the
// HL7 table 0357 code that an ACK's ERR-3 carries (see `hl7_error_code`).
enum class Error {
  empty_input = 1,          // no bytes, or only white space
  too_large,                // more bytes than ParseOptions::max_message_bytes
  too_many_segments,        // more segments than ParseOptions::max_segments
  missing_msh,              // the first segment is not MSH
  bad_delimiters,           // MSH-1/MSH-2 are missing, repeated or letters/digits
  bad_segment_id,           // a segment id is not three upper-case letters or digits
  unknown_charset,          // MSH-18 (or the override) names no character set iconv knows
  bad_encoding,             // bytes that are not valid in the declared character set
  bad_path,                 // a path such as `PID-3[2].1` that does not follow the grammar
  xml_malformed,            // not well-formed XML
  xml_doctype_refused,      // a DTD or entity declaration: never resolved, always refused
  xml_not_v2xml,            // well-formed XML that is not an HL7 v2.xml message
  batch_malformed,          // FHS/BHS/BTS/FTS envelope that does not hold together
};

const boost::system::error_category& error_category() noexcept;
boost::system::error_code make_error_code(Error e) noexcept;

// HL7 v2.5 table 0357 (message error condition codes): 100 segment sequence error,
// 102 data type error, 203 unsupported version id, 207 application internal error, ...
int hl7_error_code(Error e) noexcept;
// The table 0357 display text for `code` ("Segment sequence error", ...).
std::string_view hl7_error_text(int code) noexcept;

// A parse failure with where it happened, so an operator can find the byte in the raw message.
struct ParseError {
  Error code = Error::empty_input;
  std::size_t offset = 0;   // byte offset in the input (after a skipped BOM)
  std::size_t segment = 0;  // 1-based segment number; 0 when not known
  std::size_t field = 0;    // 1-based field number; 0 when not known
  std::string detail;       // what was found, in words

  // "segment 3, field 5 (byte 212): <detail>"
  std::string message() const;
};

// Lets `result<T, ParseError>::value()` throw a readable exception when a caller insists.
[[noreturn]] void throw_exception_from_error(const ParseError& e,
                                             const boost::source_location& loc);

template <class T>
using ParseResult = boost::system::result<T, ParseError>;

}  // namespace hisbridge::hl7

namespace boost::system {
template <>
struct is_error_code_enum<hisbridge::hl7::Error> : std::true_type {};
}  // namespace boost::system
