#pragma once

#include <optional>
#include <string_view>

namespace hisbridge::auth {

// What a token holder may do on the admin API. Ordered: each role may do all that the ones
// before it may.
//   viewer    metrics, turnaround, channels, message lists with patient data masked
//   operator  also patient data (a message's raw text and mapped records), replay, reprocess,
//             the audit log
enum class Role { viewer, operator_ };

std::string_view to_string(Role role);
// "viewer" or "operator"; nullopt for anything else.
std::optional<Role> parse_role(std::string_view text);

// Whether `held` may do what `needed` may.
constexpr bool allows(Role held, Role needed) { return held >= needed; }

}  // namespace hisbridge::auth
