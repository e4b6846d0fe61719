#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <string>
#include <type_traits>

namespace hisbridge::xml130 {

// What writing the table-4 (XML4) files can fail with. The first three are faults of the
// records (the mapping or the sender must change; retrying the same records fails again),
// `io` is worth a retry, `corrupt_file` needs an operator to look at the file named.
enum class Xml130Error {
  invalid_record = 1,  // not well-formed text, a column that is no table-4 element, a bad
                       // NGAY_KQ, a MA_LK that cannot name a file
  too_long,            // a value longer than its element's limit (counted in code points)
  missing_field,       // a required element is empty (MA_LK, MA_DICH_VU, NGAY_KQ, ...)
  io,                  // the folder or a file could not be read, written, synced or renamed
  corrupt_file,        // an existing episode file is not a table-4 file this writer can merge
};

const boost::system::error_category& error_category() noexcept;
boost::system::error_code make_error_code(Xml130Error e) noexcept;

// A failed call: the kind, and what exactly was wrong in words an operator can act on, e.g.
// `MA_LK "LK01", MA_DICH_VU "22.0120.1494", MA_CHI_SO "GLU": TEN_CHI_SO has 256 characters,
// the limit is 255`.
struct Xml130Failure {
  Xml130Error code = Xml130Error::invalid_record;
  std::string detail;

  boost::system::error_code error_code() const noexcept { return make_error_code(code); }
  // "<what the kind means>: <detail>"
  std::string message() const;
};

// Lets `result<T, Xml130Failure>::value()` throw a readable exception when a caller insists.
[[noreturn]] void throw_exception_from_error(const Xml130Failure& e,
                                             const boost::source_location& loc);

template <class T>
using Xml130Result = boost::system::result<T, Xml130Failure>;

inline Xml130Failure fail(Xml130Error code, std::string detail) {
  return {code, std::move(detail)};
}

}  // namespace hisbridge::xml130

namespace boost::system {
template <>
struct is_error_code_enum<hisbridge::xml130::Xml130Error> : std::true_type {};
}  // namespace boost::system
