#include "engine/auth/role.hpp"

namespace hisbridge::auth {

std::string_view to_string(Role role) { return role == Role::viewer ? "viewer" : "operator"; }

std::optional<Role> parse_role(std::string_view text) {
  if (text == "viewer") {
    return Role::viewer;
  }
  if (text == "operator") {
    return Role::operator_;
  }
  return std::nullopt;
}

}  // namespace hisbridge::auth
