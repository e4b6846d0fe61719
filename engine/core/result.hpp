#pragma once

// One result type for every fallible call on untrusted input: a value or a typed error,
// never an exception on the data path.
#include <boost/system/result.hpp>

namespace hisbridge {

template <class T, class E = boost::system::error_code>
using Result = boost::system::result<T, E>;

}  // namespace hisbridge
