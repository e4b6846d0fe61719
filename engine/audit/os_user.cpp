#include "engine/audit/os_user.hpp"

#include <pwd.h>
#include <unistd.h>

#include <vector>

namespace hisbridge::audit {

std::string os_user() {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(geteuid(), &entry, buffer.data(), buffer.size(), &found) == 0 &&
      found != nullptr) {
    return found->pw_name;
  }
  return "uid " + std::to_string(geteuid());
}

}  // namespace hisbridge::audit
