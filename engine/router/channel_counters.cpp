#include "engine/router/channel_counters.hpp"

namespace hisbridge::router {

ChannelCounters::ChannelCounters(std::string name,
                                 const std::vector<std::string>& destination_names)
    : name_(std::move(name)) {
  for (const std::string& d : destination_names) {
    destinations.emplace_back(d);
  }
}

void ChannelCounters::count_type(std::string_view type, bool is_failure) {
  const std::lock_guard lock(mutex_);
  auto key = std::make_pair(std::string(type), is_failure);
  auto it = by_type_.find(key);
  if (it == by_type_.end()) {
    const bool known = by_type_.contains({key.first, !is_failure});
    if (!known && types_ >= kMaxTypes) {
      key.first = "other";
    } else if (!known) {
      ++types_;
    }
    it = by_type_.try_emplace(std::move(key), 0).first;
  }
  ++it->second;
}

std::vector<ChannelCounters::TypeCount> ChannelCounters::by_type() const {
  const std::lock_guard lock(mutex_);
  std::vector<TypeCount> out;
  out.reserve(by_type_.size());
  for (const auto& [key, n] : by_type_) {
    out.push_back({key.first, key.second, n});
  }
  return out;
}

}  // namespace hisbridge::router
