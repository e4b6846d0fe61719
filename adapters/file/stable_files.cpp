#include "adapters/file/stable_files.hpp"

namespace hisbridge::file {

std::vector<std::pair<std::string, FileState>> StableFiles::update(Listing listing,
                                                                   Clock::time_point now) {
  std::vector<std::pair<std::string, FileState>> ready;
  for (const auto& [name, state] : listing) {
    const auto before = previous_.find(name);
    if (before == previous_.end() || before->second != state) {
      continue;  // new, or still being written
    }
    if (const auto stuck = stuck_.find(name); stuck != stuck_.end() && stuck->second == state) {
      continue;
    }
    if (const auto retry = retry_at_.find(name); retry != retry_at_.end() && retry->second > now) {
      continue;
    }
    ready.emplace_back(name, state);
  }
  std::erase_if(stuck_, [&](const auto& e) {
    const auto current = listing.find(e.first);
    return current == listing.end() || current->second != e.second;
  });
  std::erase_if(retry_at_, [&](const auto& e) { return !listing.contains(e.first); });
  previous_ = std::move(listing);
  return ready;
}

}  // namespace hisbridge::file
