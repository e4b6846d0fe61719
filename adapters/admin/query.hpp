#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hisbridge::admin {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// `%XX` escapes decoded (RFC 3986 §2.1). A `+` stays a `+`: the API's values (times with an
// offset, HL7 identifiers) are typed by hand far more often than sent by HTML forms. nullopt
// for a `%` not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text);

// The query of a request target (`/path?a=1&b=x%20y`), each name and value decoded, in order;
// empty parts (`a=1&&b=2`) are skipped and a name without `=` has an empty value. nullopt when
// an escape is malformed.
std::optional<QueryParams> parse_query(std::string_view target);

}  // namespace hisbridge::admin
